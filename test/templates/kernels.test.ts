import { describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import {
  batchMatmulWorkload,
  conv2dWorkload,
  denseWorkload,
  elementsOf,
  kernelArgs,
  outputShape,
  workloadKey,
} from '../../src/ops/index.js';
import { bindArgs } from '../../src/templates/cuda.js';
import { epilogueStore } from '../../src/templates/epilogue.js';
import { getTemplate, referenceKernel } from '../../src/templates/index.js';
import { bracketsBalance, definesEntry, ODD_SHAPES } from './shapes.js';

const device = SIM_DEVICE_INFO;

describe('epilogue', () => {
  it('applies scale/shift, bias, residual, then the activation, in that order, and stores', () => {
    const w = conv2dWorkload(
      { n: 1, c: 4, h: 4, w: 4, k: 4, r: 1, s: 1 },
      { bnScaleShift: true, bias: true, residual: true, activation: 'relu6' },
    );
    const code = epilogueStore(w, bindArgs(w), { acc: 'a', channel: 'ch', index: 'i' });
    const order = [
      'fmaf(v_, __ldg(&p_scale[ch]), __ldg(&p_shift[ch]))',
      '__ldg(&p_bias[ch])',
      '__ldg(&p_residual[i])',
      'fminf(fmaxf(v_, 0.0f), 6.0f)',
      'p_out[i] = v_',
    ].map((s) => code.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('writes nothing but the store when there is no epilogue', () => {
    const w = denseWorkload({ m: 2, n: 3, k: 4 });
    expect(epilogueStore(w, bindArgs(w), { acc: 'a', channel: 'n', index: 'i' })).toBe(
      '{ float v_ = a; p_out[i] = v_; }',
    );
  });

  it('binds arguments by their canonical position', () => {
    const w = denseWorkload({ m: 2, n: 3, k: 4 }, { bias: true, residual: true });
    expect(bindArgs(w)).toEqual({
      lhs: 'p_x',
      rhs: 'p_weight',
      bias: 'p_bias',
      residual: 'p_residual',
      out: 'p_out',
    });
  });
});

describe('reference kernel', () => {
  it.each(ODD_SHAPES.map((s) => [s.name, s.w] as const))('is well-formed for %s', (_name, w) => {
    const k = referenceKernel(w);
    expect(definesEntry(k.code, k.entry)).toBe(true);
    expect(bracketsBalance(k.code)).toBe(true);
    expect(k.args).toEqual(kernelArgs(w));
    expect(k.computes).toBe(workloadKey(w));
    // A grid-stride loop over every output element, whatever the grid.
    expect(k.code).toContain(`idx < ${elementsOf(outputShape(w))}; idx += gridDim.x * blockDim.x`);
    expect(k.grid[0] * k.block[0]).toBeGreaterThanOrEqual(Math.min(elementsOf(outputShape(w)), 8192 * 256));
  });

  it('checks every tap against the image bounds and reads transposed B when asked', () => {
    const conv = referenceKernel(
      conv2dWorkload({ n: 1, c: 4, h: 5, w: 5, k: 2, r: 3, s: 3, padH: 1, padW: 1 }),
    );
    expect(conv.code).toContain('if (ih < 0 || ih >= 5) continue;');
    const t = referenceKernel(batchMatmulWorkload({ b: 2, m: 3, n: 5, k: 7, transB: true }));
    expect(t.code).toContain('p_b[(bat * 5 + col) * 7 + kk]');
    const n = referenceKernel(batchMatmulWorkload({ b: 2, m: 3, n: 5, k: 7, transB: false }));
    expect(n.code).toContain('p_b[(bat * 7 + kk) * 5 + col]');
  });
});

describe('generated code details', () => {
  const dense = getTemplate('dense');
  const gemv = denseWorkload({ m: 1, n: 1000, k: 512 }, { bias: true });
  const base = { bm: 1, bn: 64, bk: 32, tm: 1, tn: 2, warp_m: 1, double_buffer: true, unroll: 16 };

  it('split-K declares a workspace of the output size and puts the splits in grid.z', () => {
    const k = dense.generate(gemv, { ...base, split_k: 8, vec: true }, device);
    expect(k.code).toContain('__device__ float sk_ws[1000];');
    expect(k.code).toContain('atomicAdd(&sk_ws[');
    expect(k.grid[2]).toBe(8);
    const single = dense.generate(gemv, { ...base, split_k: 1, vec: true }, device);
    expect(single.code).not.toContain('sk_ws');
    expect(single.grid[2]).toBe(1);
  });

  it('uses 128-bit global loads only where the config asks and k is aligned', () => {
    const vec = dense.generate(gemv, { ...base, split_k: 1, vec: true }, device);
    expect(vec.code).toContain('reinterpret_cast<const float4*>(&A_[');
    const scalar = dense.generate(gemv, { ...base, split_k: 1, vec: false }, device);
    expect(scalar.code).not.toContain('reinterpret_cast<const float4*>(&A_[');
  });

  it('conv2d_igemm_tf32 issues mma.sync on TF32-rounded operands', () => {
    const t = getTemplate('conv2d_igemm_tf32');
    const w = conv2dWorkload({ n: 1, c: 64, h: 14, w: 14, k: 64, r: 3, s: 3, padH: 1, padW: 1 });
    const k = t.generate(w, t.defaultConfig(w, device), device);
    expect(t.tensorCore).toBe(true);
    expect(k.code).toContain('mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32');
    expect(k.code).toContain('cvt.rna.tf32.f32');
  });

  it('guards every output against the extent when tiles do not divide it', () => {
    const igemm = getTemplate('conv2d_igemm');
    const w = conv2dWorkload({ n: 3, c: 13, h: 11, w: 9, k: 19, r: 3, s: 2, strideW: 2, padH: 1 });
    const k = igemm.generate(w, igemm.defaultConfig(w, device), device);
    // M = 3 * 11 * 4 pixels, N = 19 channels.
    expect(k.code).toContain('if (m < 132 && n < 19)');
  });
});
