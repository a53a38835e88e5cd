/**
 * The checker: a kernel's first output is compared with the reference kernel's output on the
 * same inputs. The output buffer is poisoned with NaN bytes before the run, so an element the
 * kernel forgot to write fails the check instead of passing on stale data.
 */

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Fallback for f32 when the caller gives none: loose enough for reordered fp32 sums. */
export const DEFAULT_F32_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-4 };

export interface CheckOutcome {
  ok: boolean;
  /** Largest |out - ref| / (atol + rtol * |ref|); <= 1 passes. */
  maxRelError: number;
  /** Elements that are NaN or infinite where the reference is finite (unwritten or blown up). */
  badElements: number;
  firstBadIndex: number;
}

export function compareOutputs(out: Float32Array, ref: Float32Array, tol: Tolerance): CheckOutcome {
  if (out.length !== ref.length) {
    return { ok: false, maxRelError: Number.POSITIVE_INFINITY, badElements: out.length, firstBadIndex: 0 };
  }
  let maxRel = 0;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < out.length; i++) {
    const o = out[i] as number;
    const r = ref[i] as number;
    const err = Math.abs(o - r) / (tol.atol + tol.rtol * Math.abs(r));
    // NaN compares false everywhere, so test for it explicitly (the poison is NaN).
    if (!Number.isFinite(o) || !(err <= 1)) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
    if (Number.isFinite(err) && err > maxRel) maxRel = err;
    else if (!Number.isFinite(err)) maxRel = Number.POSITIVE_INFINITY;
  }
  return { ok: bad === 0, maxRelError: maxRel, badElements: bad, firstBadIndex: firstBad };
}

export function describeMismatch(c: CheckOutcome, out: Float32Array, ref: Float32Array): string {
  const i = c.firstBadIndex;
  return `${c.badElements} of ${out.length} elements outside tolerance (first at ${i}: got ${out[i]}, expected ${ref[i]}; max relative error ${c.maxRelError.toPrecision(3)})`;
}
