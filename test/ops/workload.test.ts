import { describe, expect, it } from 'vitest';
import {
  batchMatmulWorkload,
  conv2dOutput,
  conv2dWorkload,
  denseWorkload,
  isDepthwise,
  kernelArgs,
  outputShape,
  tensorSpecs,
  type Workload,
  workloadBytes,
  workloadFlops,
  workloadKey,
} from '../../src/ops/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';

const layer = { n: 1, c: 64, h: 56, w: 56, k: 64, r: 3, s: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 };

function expectBadShape(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(isSlicetuneError(e, 'BAD_SHAPE')).toBe(true);
    expect((e as Error).message).toContain(field);
    return;
  }
  throw new Error(`expected BAD_SHAPE naming ${field}`);
}

describe('conv2dWorkload', () => {
  it('fills defaults: stride 1, pad 0, dilation 1, groups 1, no epilogue', () => {
    const w = conv2dWorkload({ n: 1, c: 3, h: 7, w: 7, k: 8, r: 1, s: 1 });
    expect(w.shape).toMatchObject({
      strideH: 1,
      strideW: 1,
      padH: 0,
      padW: 0,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    });
    expect(w.epilogue).toEqual({ bias: false, bnScaleShift: false, residual: false, activation: 'none' });
  });

  it('rejects bad fields, naming them', () => {
    expectBadShape(() => conv2dWorkload({ ...layer, c: 0 }), 'c');
    expectBadShape(() => conv2dWorkload({ ...layer, h: 2.5 }), 'h');
    expectBadShape(() => conv2dWorkload({ ...layer, padW: -1 }), 'padW');
    expectBadShape(() => conv2dWorkload({ ...layer, strideH: 0 }), 'strideH');
    expectBadShape(() => conv2dWorkload({ ...layer, groups: 3 }), 'groups');
    expectBadShape(() => conv2dWorkload({ ...layer, c: 64, k: 60, groups: 8 }), 'k=60');
    expectBadShape(() => conv2dWorkload({ ...layer, h: 2, padH: 0 }), 'h=2');
    expectBadShape(() => conv2dWorkload({ ...layer, w: 4, dilationW: 3, padW: 0 }), 'w=4');
    expectBadShape(() => conv2dWorkload(layer, { activation: 'gelu' as never }), 'activation');
  });

  it('computes output sizes like PyTorch', () => {
    expect(conv2dOutput({ h: 224, w: 224, r: 7, s: 7, strideH: 2, strideW: 2, padH: 3, padW: 3 })).toEqual({
      oh: 112,
      ow: 112,
    });
    expect(conv2dOutput({ h: 7, w: 7, r: 3, s: 3, padH: 1, padW: 1, strideH: 2, strideW: 2 })).toEqual({
      oh: 4,
      ow: 4,
    });
    expect(conv2dOutput({ h: 10, w: 9, r: 3, s: 3, dilationH: 2, dilationW: 3 })).toEqual({ oh: 6, ow: 3 });
  });
});

describe('workloadKey', () => {
  it('is readable and contains every field and the epilogue', () => {
    const w = conv2dWorkload(layer, { bias: true, activation: 'relu' });
    expect(workloadKey(w)).toBe('conv2d.f32.n1.c64.h56.w56.k64.r3.s3.st1x1.pd1x1.dl1x1.g1+bias+relu');
    expect(workloadKey(denseWorkload({ m: 1, n: 1000, k: 512 }, { bias: true }))).toBe(
      'dense.f32.m1.n1000.k512+bias',
    );
    expect(workloadKey(batchMatmulWorkload({ b: 12, m: 128, n: 128, k: 64, transB: true }))).toBe(
      'batch_matmul.f32.b12.m128.n128.k64.tb1',
    );
  });

  it('is equal for equal workloads and distinct for different ones', () => {
    const variants: Workload[] = [
      conv2dWorkload(layer),
      conv2dWorkload({ ...layer, n: 2 }),
      conv2dWorkload({ ...layer, h: 57 }),
      conv2dWorkload({ ...layer, strideW: 2 }),
      conv2dWorkload({ ...layer, padH: 0 }),
      conv2dWorkload({ ...layer, dilationH: 2 }),
      conv2dWorkload({ ...layer, groups: 64 }),
      conv2dWorkload({ ...layer, r: 1, s: 3, padH: 0 }),
      conv2dWorkload(layer, { bias: true }),
      conv2dWorkload(layer, { bnScaleShift: true }),
      conv2dWorkload(layer, { residual: true }),
      conv2dWorkload(layer, { activation: 'relu' }),
      conv2dWorkload(layer, { activation: 'relu6' }),
      denseWorkload({ m: 1, n: 64, k: 64 }),
      denseWorkload({ m: 64, n: 1, k: 64 }),
      batchMatmulWorkload({ b: 1, m: 64, n: 1, k: 64 }),
      batchMatmulWorkload({ b: 1, m: 64, n: 1, k: 64, transB: true }),
    ];
    const keys = variants.map(workloadKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(workloadKey(conv2dWorkload({ ...layer }, { bias: true }))).toBe(
      workloadKey(conv2dWorkload({ ...layer, dilationH: 1, groups: 1 }, { bias: true, residual: false })),
    );
  });
});

describe('tensors', () => {
  it('lists conv2d tensors in canonical order with per-group weights', () => {
    const w = conv2dWorkload(
      { n: 2, c: 8, h: 9, w: 7, k: 12, r: 3, s: 1, groups: 4, strideH: 2 },
      { bias: true, bnScaleShift: true, residual: true, activation: 'relu6' },
    );
    expect(tensorSpecs(w)).toEqual([
      { name: 'data', shape: [2, 8, 9, 7], role: 'input' },
      { name: 'weight', shape: [12, 2, 3, 1], role: 'input' },
      { name: 'scale', shape: [12], role: 'input' },
      { name: 'shift', shape: [12], role: 'input' },
      { name: 'bias', shape: [12], role: 'input' },
      { name: 'residual', shape: [2, 12, 4, 7], role: 'input' },
      { name: 'out', shape: [2, 12, 4, 7], role: 'output' },
    ]);
    expect(kernelArgs(w).map((a) => (a.kind === 'buffer' ? a.elements : 0))).toEqual([
      2 * 8 * 9 * 7,
      12 * 2 * 3,
      12,
      12,
      12,
      2 * 12 * 4 * 7,
      2 * 12 * 4 * 7,
    ]);
  });

  it('lists dense and batch_matmul tensors, B transposed when asked', () => {
    expect(
      tensorSpecs(denseWorkload({ m: 3, n: 5, k: 7 }, { bias: true })).map((t) => [t.name, t.shape]),
    ).toEqual([
      ['x', [3, 7]],
      ['weight', [5, 7]],
      ['bias', [5]],
      ['out', [3, 5]],
    ]);
    const plain = tensorSpecs(batchMatmulWorkload({ b: 2, m: 3, n: 5, k: 7 }));
    const trans = tensorSpecs(batchMatmulWorkload({ b: 2, m: 3, n: 5, k: 7, transB: true }));
    expect(plain[1]?.shape).toEqual([2, 7, 5]);
    expect(trans[1]?.shape).toEqual([2, 5, 7]);
    expect(outputShape(batchMatmulWorkload({ b: 2, m: 3, n: 5, k: 7 }))).toEqual([2, 3, 5]);
  });
});

describe('isDepthwise', () => {
  it('is true only for groups = c = k > 1', () => {
    expect(isDepthwise(conv2dWorkload({ ...layer, groups: 64 }))).toBe(true);
    expect(isDepthwise(conv2dWorkload({ ...layer, groups: 32 }))).toBe(false);
    expect(isDepthwise(conv2dWorkload({ ...layer, k: 128, groups: 64 }))).toBe(false);
    expect(isDepthwise(conv2dWorkload({ ...layer, c: 1, k: 1 }))).toBe(false);
    expect(isDepthwise(denseWorkload({ m: 1, n: 1, k: 1 }))).toBe(false);
  });
});

describe('FLOPs and bytes', () => {
  it('counts a ResNet-18 3x3 layer: 2 per MAC plus the epilogue', () => {
    const w = conv2dWorkload(layer, { bias: true, residual: true, activation: 'relu' });
    const outputs = 64 * 56 * 56;
    const macs = outputs * 64 * 3 * 3;
    expect(workloadFlops(w)).toBe(2 * macs + 3 * outputs);
    expect(workloadFlops(conv2dWorkload(layer))).toBe(231_211_008);
    const inputs = 64 * 56 * 56 + 64 * 64 * 9 + 64 + outputs;
    expect(workloadBytes(w)).toBe(4 * (inputs + outputs));
  });

  it('counts grouped convs per group, and matmuls', () => {
    const depthwise = conv2dWorkload({ ...layer, groups: 64 });
    expect(workloadFlops(depthwise)).toBe(2 * 64 * 56 * 56 * 9);
    expect(workloadFlops(denseWorkload({ m: 1, n: 1000, k: 512 }, { bias: true }))).toBe(2 * 512_000 + 1000);
    expect(
      workloadFlops(batchMatmulWorkload({ b: 12, m: 128, n: 128, k: 64 }, { activation: 'relu6' })),
    ).toBe(12 * 128 * 128 * (2 * 64 + 2));
  });
});
