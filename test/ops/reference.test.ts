import { describe, expect, it } from 'vitest';
import {
  batchMatmulWorkload,
  type Conv2dShapeInput,
  conv2dOutput,
  conv2dWorkload,
  cpuReference,
  denseWorkload,
  type Epilogue,
  randomInputs,
} from '../../src/ops/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const f32 = (xs: number[]) => Float32Array.from(xs);
const iota = (n: number) => f32(Array.from({ length: n }, (_, i) => i + 1));

function conv(
  shape: Conv2dShapeInput,
  data: Float32Array,
  weight: Float32Array,
  epilogue?: Partial<Epilogue>,
) {
  return [...cpuReference(conv2dWorkload(shape, epilogue), { data, weight })];
}

describe('cpuReference conv2d, by hand', () => {
  const img = { n: 1, c: 1, h: 3, w: 3, k: 1 };

  it('plain 2x2 window', () => {
    expect(conv({ ...img, r: 2, s: 2 }, iota(9), f32([1, 0, 0, 1]))).toEqual([6, 8, 12, 14]);
  });

  it('stride 2 with padding 1', () => {
    const ones = f32(Array(9).fill(1));
    expect(conv({ ...img, r: 3, s: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 }, iota(9), ones)).toEqual([
      12, 16, 24, 28,
    ]);
  });

  it('asymmetric stride and padding', () => {
    // 3x3 image, 1x1 kernel of 1, stride 2x1, pad 0x1: rows 0 and 2, columns -1..3.
    expect(conv({ ...img, r: 1, s: 1, strideH: 2, strideW: 1, padH: 0, padW: 1 }, iota(9), f32([1]))).toEqual(
      [0, 1, 2, 3, 0, 0, 7, 8, 9, 0],
    );
  });

  it('dilation 2', () => {
    expect(conv({ ...img, r: 2, s: 2, dilationH: 2, dilationW: 2 }, iota(9), f32([1, 2, 3, 4]))).toEqual([
      64,
    ]);
  });

  it('groups keep channels apart', () => {
    const data = f32([1, 10]);
    const shape = { n: 1, c: 2, h: 1, w: 1, r: 1, s: 1 };
    expect(conv({ ...shape, k: 2, groups: 2 }, data, f32([2, 3]))).toEqual([2, 30]);
    expect(conv({ ...shape, k: 4, groups: 2 }, data, f32([1, 2, 3, 4]))).toEqual([1, 2, 30, 40]);
    expect(conv({ ...shape, k: 1, groups: 1 }, data, f32([2, 3]))).toEqual([32]);
  });

  it('applies every epilogue in order: scale/shift, bias, residual, activation', () => {
    const w = (e: Partial<Epilogue>) => conv2dWorkload({ ...img, r: 2, s: 2 }, e); // acc = [6, 8, 12, 14]
    const base = { data: iota(9), weight: f32([1, 0, 0, 1]) };
    const scale = f32([0.5]);
    const shift = f32([-5]);
    const bias = f32([1]);
    const residual = f32([0, 0.5, 1, 10]);
    const run = (e: Partial<Epilogue>, extra: Record<string, Float32Array>) => [
      ...cpuReference(w(e), { ...base, ...extra }),
    ];
    expect(run({ bnScaleShift: true }, { scale, shift })).toEqual([-2, -1, 1, 2]);
    expect(run({ bias: true }, { bias })).toEqual([7, 9, 13, 15]);
    expect(run({ bnScaleShift: true, bias: true }, { scale, shift, bias })).toEqual([-1, 0, 2, 3]);
    expect(run({ bnScaleShift: true, bias: true, residual: true }, { scale, shift, bias, residual })).toEqual(
      [-1, 0.5, 3, 13],
    );
    const all = { scale, shift, bias, residual };
    expect(run({ bnScaleShift: true, bias: true, residual: true, activation: 'relu' }, all)).toEqual([
      0, 0.5, 3, 13,
    ]);
    expect(run({ bnScaleShift: true, bias: true, residual: true, activation: 'relu6' }, all)).toEqual([
      0, 0.5, 3, 6,
    ]);
  });

  it('indexes per-channel epilogue tensors by output channel, batch after batch', () => {
    const w = conv2dWorkload({ n: 2, c: 1, h: 1, w: 2, k: 2, r: 1, s: 1 }, { bias: true });
    const out = cpuReference(w, { data: f32([1, 2, 3, 4]), weight: f32([1, -1]), bias: f32([100, 200]) });
    expect([...out]).toEqual([101, 102, 199, 198, 103, 104, 197, 196]);
  });
});

/** The textbook seven loops, with bounds checks: independent of the im2col version under test. */
function naiveConv(s: Required<Conv2dShapeInput>, data: Float32Array, weight: Float32Array): number[] {
  const { oh, ow } = conv2dOutput(s);
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  const out: number[] = [];
  for (let b = 0; b < s.n; b++)
    for (let ko = 0; ko < s.k; ko++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++) {
          let sum = 0;
          const g = Math.floor(ko / kg);
          for (let ci = 0; ci < cg; ci++)
            for (let ry = 0; ry < s.r; ry++)
              for (let rx = 0; rx < s.s; rx++) {
                const iy = y * s.strideH - s.padH + ry * s.dilationH;
                const ix = x * s.strideW - s.padW + rx * s.dilationW;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                const d = data[((b * s.c + g * cg + ci) * s.h + iy) * s.w + ix] as number;
                sum += d * (weight[((ko * cg + ci) * s.r + ry) * s.s + rx] as number);
              }
          out.push(Math.fround(sum));
        }
  return out;
}

describe('cpuReference conv2d against the textbook loops', () => {
  it('agrees on random shapes with stride, padding, dilation and groups', () => {
    const rng = new Rng(7);
    let checked = 0;
    while (checked < 60) {
      const groups = rng.pick([1, 1, 2, 3]);
      const shape = {
        n: 1 + rng.int(2),
        c: groups * (1 + rng.int(3)),
        h: 1 + rng.int(9),
        w: 1 + rng.int(9),
        k: groups * (1 + rng.int(3)),
        r: 1 + rng.int(4),
        s: 1 + rng.int(4),
        strideH: 1 + rng.int(3),
        strideW: 1 + rng.int(3),
        padH: rng.int(3),
        padW: rng.int(3),
        dilationH: 1 + rng.int(2),
        dilationW: 1 + rng.int(2),
        groups,
      };
      const { oh, ow } = conv2dOutput(shape);
      if (oh < 1 || ow < 1) continue;
      const w = conv2dWorkload(shape);
      const inputs = randomInputs(w, rng);
      const got = [...cpuReference(w, inputs)];
      const want = naiveConv(shape, inputs.data as Float32Array, inputs.weight as Float32Array);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i] as number, 5);
      checked++;
    }
  });
});

describe('cpuReference dense and batch_matmul, by hand', () => {
  it('dense with bias', () => {
    const w = denseWorkload({ m: 2, n: 3, k: 2 }, { bias: true });
    const out = cpuReference(w, {
      x: f32([1, 2, 3, 4]),
      weight: f32([1, 0, 0, 1, 1, 1]),
      bias: f32([10, 20, 30]),
    });
    expect([...out]).toEqual([11, 22, 33, 13, 24, 37]);
  });

  it('batch_matmul with B as [b,k,n] and as [b,n,k]', () => {
    const a = f32([1, 2, 3, 4]);
    const plain = batchMatmulWorkload({ b: 2, m: 1, n: 2, k: 2 });
    expect([...cpuReference(plain, { a, b: f32([1, 2, 3, 4, 0, 1, 1, 0]) })]).toEqual([7, 10, 4, 3]);
    const trans = batchMatmulWorkload({ b: 2, m: 1, n: 2, k: 2, transB: true });
    expect([...cpuReference(trans, { a, b: f32([1, 3, 2, 4, 0, 1, 1, 0]) })]).toEqual([7, 10, 4, 3]);
  });

  it('batch_matmul with per-column bias and relu6', () => {
    const w = batchMatmulWorkload({ b: 1, m: 2, n: 2, k: 1 }, { bias: true, activation: 'relu6' });
    const out = cpuReference(w, { a: f32([1, -2]), b: f32([3, 4]), bias: f32([1, 0]) });
    expect([...out]).toEqual([4, 4, 0, 0]);
  });
});

describe('cpuReference misuse', () => {
  it('names a missing or missized input', () => {
    const w = denseWorkload({ m: 2, n: 3, k: 2 }, { bias: true });
    const call = (inputs: Record<string, Float32Array>) => {
      try {
        cpuReference(w, inputs);
      } catch (e) {
        expect(isSlicetuneError(e, 'BAD_SHAPE')).toBe(true);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(call({ x: iota(4), weight: iota(6) })).toContain('bias');
    expect(call({ x: iota(5), weight: iota(6), bias: iota(3) })).toContain('x has 5 elements');
  });
});
