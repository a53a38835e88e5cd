import { describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import type { DeviceInfo } from '../../src/gpu/types.js';
import { conv2dWorkload, denseWorkload } from '../../src/ops/index.js';
import type { Config } from '../../src/space/index.js';
import { getTemplate, templatesFor } from '../../src/templates/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { ODD_SHAPES } from './shapes.js';

const device = SIM_DEVICE_INFO;
const layer1 = conv2dWorkload({ n: 1, c: 64, h: 56, w: 56, k: 64, r: 3, s: 3, padH: 1, padW: 1 });
const layer4 = conv2dWorkload({ n: 1, c: 512, h: 7, w: 7, k: 512, r: 3, s: 3, padH: 1, padW: 1 });
const direct = getTemplate('conv2d_direct');

const directConfig = (over: Record<string, unknown>) => ({
  tile_k: [4, 1, 4, 4],
  tile_y: [7, 1, 4, 2],
  tile_x: [2, 1, 14, 2],
  tile_rc: [8, 8],
  tile_ry: [1, 3],
  tile_rx: [1, 3],
  split_rc: 1,
  auto_unroll_max_step: 512,
  unroll_explicit: true,
  ...over,
});

describe('config space sizes', () => {
  it.each([
    ['56x56x64x64x3x3', layer1],
    ['7x7x512x512x3x3', layer4],
  ])('conv2d_direct holds at least 10,000 valid configs on %s', (_name, w) => {
    const size = direct.space(w, device).validSize();
    expect(size.count).toBeGreaterThanOrEqual(10_000);
  });

  it('every template space on the odd shapes has valid configs and fixed-length finite features', () => {
    for (const { w } of ODD_SHAPES) {
      for (const t of templatesFor(w, { tensorCore: true })) {
        const space = t.space(w, device);
        expect(space.rawSize, t.name).toBeGreaterThan(0);
        const rng = new Rng(3);
        const lengths = new Set<number>();
        for (let i = 0; i < 5; i++) {
          const f = space.features(space.sample(rng));
          lengths.add(f.length);
          expect(f.every(Number.isFinite), t.name).toBe(true);
        }
        expect(lengths.size).toBe(1);
        expect(space.featureNames().length).toBe([...lengths][0]);
      }
    }
  });
});

describe('constraints checked before compiling', () => {
  const space = direct.space(layer1, device);

  it('accepts a sensible config', () => {
    expect(space.invalidReason(directConfig({}))).toBeNull();
  });

  it('rejects more threads per block than the device allows', () => {
    const c = directConfig({ tile_k: [1, 1, 64, 1], tile_y: [1, 1, 4, 14], tile_x: [1, 1, 8, 7] });
    expect(space.invalidReason(c)).toMatch(/2048 threads per block, more than the device's 1024/);
  });

  it('rejects more shared memory than the opt-in limit', () => {
    const c = directConfig({
      tile_rc: [1, 64],
      tile_y: [1, 1, 4, 14],
      tile_x: [1, 1, 8, 7],
      tile_k: [16, 1, 4, 1],
      unroll_explicit: false,
    });
    expect(space.invalidReason(c)).toMatch(/bytes of shared memory per block, more than/);
  });

  it('rejects register tiles that would spill', () => {
    const c = directConfig({
      tile_k: [1, 1, 4, 16],
      tile_y: [1, 1, 4, 14],
      tile_x: [1, 1, 8, 7],
      unroll_explicit: false,
    });
    expect(space.invalidReason(c)).toMatch(/registers/);
  });

  it('rejects blocks of fewer than 32 threads when the output allows more', () => {
    const c = directConfig({
      tile_k: [16, 1, 1, 4],
      tile_y: [14, 1, 2, 2],
      tile_x: [14, 1, 2, 2],
      unroll_explicit: false,
    });
    expect(space.invalidReason(c)).toMatch(/fewer than 32/);
  });

  it('follows the device: a smaller block limit rejects what the H100 accepts', () => {
    const small: DeviceInfo = { ...device, maxThreadsPerBlock: 128, sharedMemPerBlockOptin: 16 * 1024 };
    const c = directConfig({});
    expect(direct.space(layer1, small).invalidReason(c)).toMatch(/threads per block/);
    const def = direct.defaultConfig(layer1, small);
    expect(direct.space(layer1, small).invalidReason(def)).toBeNull();
    expect(direct.generate(layer1, def, small).block[0]).toBeLessThanOrEqual(128);
  });

  it('rejects a GEMM split-K beyond the reduction and vector loads where k is unaligned', () => {
    const dense = getTemplate('dense');
    const w = denseWorkload({ m: 1, n: 64, k: 64 });
    const c = {
      bm: 1,
      bn: 64,
      bk: 64,
      tm: 1,
      tn: 1,
      warp_m: 1,
      split_k: 2,
      vec: true,
      double_buffer: false,
      unroll: 4,
    };
    expect(dense.space(w, device).invalidReason(c)).toMatch(/split-K 2 exceeds/);
    const odd = denseWorkload({ m: 1, n: 64, k: 50 });
    expect(dense.space(odd, device).knobs.map((k) => k.name)).not.toContain('vec');
  });

  it('generate throws BAD_OPTION naming the reason for an invalid config', () => {
    const c = directConfig({ tile_k: [1, 1, 64, 1], tile_y: [1, 1, 4, 14], tile_x: [1, 1, 8, 7] });
    try {
      direct.generate(layer1, c, device);
      throw new Error('expected BAD_OPTION');
    } catch (e) {
      expect(isSlicetuneError(e, 'BAD_OPTION')).toBe(true);
      expect((e as Error).message).toContain('threads per block');
    }
  });
});

describe('kernel models', () => {
  const dense = getTemplate('dense');
  const big = denseWorkload({ m: 1024, n: 1024, k: 1024 });
  // 256 threads whatever the register tile: the block tile grows with it.
  const gemm = (tm: number, tn: number, vec = true) => ({
    bm: 16 * tm,
    bn: 16 * tn,
    bk: 16,
    tm,
    tn,
    warp_m: 4,
    split_k: 1,
    vec,
    double_buffer: true,
    unroll: 16,
  });
  const eff = (c: Config) => dense.generate(big, c, device).model.computeEfficiency;

  it('bigger register tiles raise efficiency; 1x1 tiles are load-bound', () => {
    expect(eff(gemm(1, 1))).toBeLessThan(0.3);
    expect(eff(gemm(2, 2))).toBeGreaterThan(eff(gemm(1, 1)));
    expect(eff(gemm(4, 4))).toBeGreaterThan(eff(gemm(2, 2)));
    expect(eff(gemm(8, 8))).toBeGreaterThanOrEqual(eff(gemm(4, 4)));
  });

  it('smaller block tiles re-read the operands: more L2 traffic', () => {
    const small = { ...gemm(2, 2), bm: 16, bn: 16 };
    const large = dense.generate(big, gemm(4, 4), device).model;
    expect(dense.generate(big, small, device).model.trafficBytes).toBeGreaterThan(large.trafficBytes);
    expect(large.dramBytes).toBe(4 * (3 * 1024 * 1024));
  });

  it('padded tiles count the work they waste', () => {
    const w = denseWorkload({ m: 65, n: 64, k: 64 });
    const c = {
      bm: 64,
      bn: 64,
      bk: 16,
      tm: 4,
      tn: 4,
      warp_m: 4,
      split_k: 1,
      vec: true,
      double_buffer: true,
      unroll: 16,
    };
    const m = dense.generate(w, c, device).model;
    expect(m.flops).toBe(2 * 128 * 64 * 64);
  });
});
