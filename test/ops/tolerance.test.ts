import { describe, expect, it } from 'vitest';
import {
  cpuReference,
  denseWorkload,
  firstMismatch,
  randomInputs,
  toleranceFor,
} from '../../src/ops/index.js';
import { Rng } from '../../src/util/rng.js';

/** An f32 kernel as a GPU would run it: every multiply-add rounded to f32, in a given k order. */
function f32Dense(m: number, n: number, k: number, x: Float32Array, wt: Float32Array, reverse: boolean) {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) {
        const kk = reverse ? k - 1 - t : t;
        sum = Math.fround(sum + Math.fround((x[i * k + kk] as number) * (wt[j * k + kk] as number)));
      }
      out[i * n + j] = sum;
    }
  return out;
}

describe('toleranceFor', () => {
  it('grows with the reduction length and stays within its bounds', () => {
    const sizes = [1, 9, 64, 576, 4608, 65536, 1 << 24];
    const tols = sizes.map((k) => toleranceFor(denseWorkload({ m: 1, n: 1, k })));
    for (let i = 1; i < tols.length; i++) {
      expect(tols[i]!.rtol).toBeGreaterThanOrEqual(tols[i - 1]!.rtol);
      expect(tols[i]!.atol).toBeGreaterThanOrEqual(tols[i - 1]!.atol);
    }
    for (const t of tols) {
      expect(t.rtol).toBeGreaterThanOrEqual(1e-5);
      expect(t.rtol).toBeLessThanOrEqual(1e-3);
    }
    const w = denseWorkload({ m: 1, n: 1, k: 4608 });
    expect(toleranceFor(w, 'tf32').rtol).toBeGreaterThan(toleranceFor(w).rtol);
  });

  it('accepts f32 accumulation in any order and catches wrong answers', () => {
    for (const k of [27, 576, 4608, 20000]) {
      const w = denseWorkload({ m: 4, n: 16, k });
      const inputs = randomInputs(w, new Rng(k));
      const x = inputs.x as Float32Array;
      const wt = inputs.weight as Float32Array;
      const want = cpuReference(w, inputs);
      const tol = toleranceFor(w);
      expect(firstMismatch(f32Dense(4, 16, k, x, wt, false), want, tol)).toBe(-1);
      expect(firstMismatch(f32Dense(4, 16, k, x, wt, true), want, tol)).toBe(-1);

      const swapped = Float32Array.from(want);
      [swapped[3], swapped[17]] = [want[17] as number, want[3] as number];
      expect(firstMismatch(swapped, want, tol)).toBeGreaterThanOrEqual(0);
      // A kernel that drops its last reduction step (an off-by-one tile edge).
      const short = f32Dense(4, 16, k - 1, shrink(x, 4, k), shrink(wt, 16, k), false);
      expect(firstMismatch(short, want, tol)).toBeGreaterThanOrEqual(0);
      const nan = Float32Array.from(want);
      nan[5] = Number.NaN;
      expect(firstMismatch(nan, want, tol)).toBe(5);
    }
  });
});

/** Drops the last column of a [rows, k] matrix. */
function shrink(a: Float32Array, rows: number, k: number): Float32Array {
  const out = new Float32Array(rows * (k - 1));
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * k, r * k + k - 1), r * (k - 1));
  return out;
}
