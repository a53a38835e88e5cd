/**
 * How close a kernel's output must be to the float64 reference.
 *
 * An f32 reduction of length L, summed in any order (tiles, split-k, FMA), rounds at each step; the
 * rounding errors are roughly independent, so the error grows like eps * sqrt(L) times the size of
 * the partial sums, which is about the size of the result. Hence
 *   rtol = 16 * eps * sqrt(L), bounded to [1e-5, 1e-3]
 * (16 is the safety margin for unlucky orders and the epilogue's own roundings). Outputs near zero
 * come from cancellation and carry the absolute error of the partial sums instead; with the
 * checker's inputs drawn uniformly from [-1, 1] (ops/inputs.ts) a result is about sqrt(L)/3 in
 * size, so atol = rtol * sqrt(L) (bounded below by 1e-5). A wrong kernel errs by about the size of
 * the result, orders of magnitude beyond both. TF32 keeps 10 mantissa bits instead of 23, so its
 * eps is 2^-10 and the bound goes up to 5e-2.
 */
import type { Workload } from './types.js';
import { reductionLength } from './workload.js';

export type Precision = 'f32' | 'tf32';

const EPS: Record<Precision, number> = { f32: 2 ** -23, tf32: 2 ** -10 };
const MAX_RTOL: Record<Precision, number> = { f32: 1e-3, tf32: 5e-2 };
const MIN_RTOL = 1e-5;

export function toleranceFor(w: Workload, precision: Precision = 'f32'): { rtol: number; atol: number } {
  const root = Math.sqrt(reductionLength(w));
  const rtol = Math.min(MAX_RTOL[precision], Math.max(MIN_RTOL, 16 * EPS[precision] * root));
  const atol = Math.max(MIN_RTOL, rtol * root);
  return { rtol, atol };
}

/** |got - want| <= atol + rtol * |want| for every element; the index of the first miss, or -1
 * (0 when the lengths differ). NaN never matches. */
export function firstMismatch(
  got: Float32Array,
  want: Float32Array,
  tolerance: { rtol: number; atol: number },
): number {
  if (got.length !== want.length) return 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const x = want[i] as number;
    if (!(Math.abs(g - x) <= tolerance.atol + tolerance.rtol * Math.abs(x))) return i;
  }
  return -1;
}
