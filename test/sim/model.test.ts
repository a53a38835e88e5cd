import { describe, expect, it } from 'vitest';
import { grantedSms, SIM_DEVICE_INFO, simulateKernelTime } from '../../src/gpu/sim/index.js';
import { launchProblem, occupancy } from '../../src/gpu/sim/model.js';
import type { SliceMechanism } from '../../src/gpu/types.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { computeBound, makeKernel, memoryBound } from './fixtures.js';

const D = SIM_DEVICE_INFO;
const time = (k = computeBound(), sms = D.sms) => simulateKernelTime(k, D, sms);

describe('the device', () => {
  it('says it is simulated and looks like an H100 SXM', () => {
    expect(D).toMatchObject({
      backend: 'sim',
      simulated: true,
      sms: 132,
      arch: 'sm_90',
      maxThreadsPerSm: 2048,
    });
    expect(D.name).toMatch(/simulated/i);
    expect(D.sharedMemPerBlockOptin).toBe(227 * 1024);
    const dram = (2 * D.memClockKHz * 1e3 * D.memBusWidthBits) / 8;
    expect(dram / 1e12).toBeCloseTo(3.35, 1);
  });
});

describe('the time landscape', () => {
  it('a big compute-bound kernel gets faster with every step of SMs, ~4x from 32 to 132', () => {
    const steps = [8, 16, 32, 66, 100, 132].map((sms) => time(computeBound(), sms));
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeLessThan(steps[i - 1] as number);
    const ratio = time(computeBound(), 32) / time(computeBound(), 132);
    expect(ratio).toBeGreaterThan(3.6);
    expect(ratio).toBeLessThan(4.4);
  });

  it('a memory-bound kernel scales sub-linearly: DRAM saturates before all SMs are used', () => {
    const ratio = time(memoryBound(), 32) / time(memoryBound(), 132);
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(132 / 32 - 1);
    expect(time(memoryBound(), 100) / time(memoryBound(), 132)).toBeLessThan(1.05);
  });

  it('a kernel with fewer blocks than SMs does not speed up with more SMs', () => {
    const few = computeBound(16);
    expect(time(few, 132)).toBe(time(few, 32));
    expect(time(few, 16)).toBe(time(few, 132));
    expect(time(few, 8)).toBeGreaterThan(time(few, 16));
  });

  it('shows wave quantization: one block past a full wave costs about another wave', () => {
    // 1024 threads x 64 registers: one block per SM, so a wave is 132 blocks of equal work each.
    const wave = (grid: number) =>
      makeKernel({
        grid,
        threads: 1024,
        model: { flops: grid * 2e7, dramBytes: grid * 1e4, trafficBytes: grid * 1e4, regsPerThread: 64 },
      });
    const oneWave = time(wave(132));
    const justOver = time(wave(133));
    const twoWaves = time(wave(264));
    expect(justOver / oneWave).toBeGreaterThan(1.8);
    expect(twoWaves / justOver).toBeGreaterThan(0.95);
    expect(twoWaves / justOver).toBeLessThan(1.05);
  });

  it('rewards occupancy: the same work with fewer resident warps is slower', () => {
    const high = computeBound(8192, { regsPerThread: 32 });
    const low = computeBound(8192, { regsPerThread: 255 });
    expect(occupancy(low, D).blocksPerSm).toBeLessThan(occupancy(high, D).blocksPerSm);
    expect(time(low)).toBeGreaterThan(time(high) * 1.05);
  });

  it('co-running spatial slices split DRAM bandwidth; timeslice multiplies the time', () => {
    const mem = (k: number, mechanism: SliceMechanism, sms = 32) =>
      simulateKernelTime(memoryBound(), D, sms, { coRunningSlices: k, mechanism });
    expect(mem(4, 'green')).toBeGreaterThan(mem(1, 'green') * 1.2);
    expect(mem(4, 'mps')).toBe(mem(4, 'green'));
    expect(mem(4, 'exclusive', 132)).toBe(mem(1, 'exclusive', 132));
    const comp = (k: number, mechanism: SliceMechanism, sms: number) =>
      simulateKernelTime(computeBound(), D, sms, { coRunningSlices: k, mechanism });
    expect(comp(4, 'green', 32) / comp(1, 'green', 32)).toBeLessThan(1.02);
    expect(comp(4, 'timeslice', 132) / comp(1, 'timeslice', 132)).toBeCloseTo(4, 6);
  });

  it('charges L2 contention when co-runners push the working set out of the shared L2', () => {
    const fits = makeKernel({
      grid: 4096,
      model: { flops: 1e6, dramBytes: 30 * 2 ** 20, trafficBytes: 2 ** 30 },
    });
    const slowdown = (k: number) => simulateKernelTime(fits, D, 132, { coRunningSlices: k }) * k;
    expect(slowdown(2)).toBeGreaterThan(slowdown(1) * 2);
  });

  it('is pure, and unlaunchable or hanging kernels take Infinity', () => {
    expect(time(computeBound(), 40)).toBe(time(computeBound(), 40));
    expect(time(makeKernel({ threads: 2048 }))).toBe(Number.POSITIVE_INFINITY);
    expect(time(makeKernel({ model: { simBehavior: 'hang' } }))).toBe(Number.POSITIVE_INFINITY);
    expect(time(makeKernel())).toBeGreaterThanOrEqual(0.003);
  });

  it('gives different configs of equal model numbers slightly different times (unmodelled effects)', () => {
    const a = makeKernel({ grid: 4096, entry: 'variant_a' });
    const b = makeKernel({ grid: 4096, entry: 'variant_b' });
    expect(time(a)).not.toBe(time(b));
    expect(Math.abs(time(a) / time(b) - 1)).toBeLessThan(0.09);
  });

  it('rejects a slice size outside the device and a bad kernel model', () => {
    expect(() => time(computeBound(), 0)).toThrow(/sms/);
    expect(() => time(computeBound(), 133)).toThrow(/sms/);
    expect(() => time(makeKernel({ model: { computeEfficiency: 0 } }))).toThrow(/computeEfficiency/);
  });
});

describe('occupancy', () => {
  it('is limited by threads', () => {
    const occ = occupancy(makeKernel({ threads: 1024, model: { regsPerThread: 16 } }), D);
    expect(occ).toMatchObject({ blocksPerSm: 2, limitedBy: 'threads' });
  });

  it('is limited by registers, allocated per warp in chunks of 256', () => {
    expect(occupancy(makeKernel({ threads: 256, model: { regsPerThread: 128 } }), D)).toMatchObject({
      blocksPerSm: 2,
      limitedBy: 'registers',
    });
    // 33 registers x 32 lanes = 1056, allocated as 1280 per warp: 65536 / (1280 x 4) = 12 blocks, not 15.
    expect(occupancy(makeKernel({ threads: 128, model: { regsPerThread: 33 } }), D).limits.registers).toBe(
      12,
    );
  });

  it('is limited by shared memory, with 1 KiB reserved per block', () => {
    const occ = occupancy(makeKernel({ threads: 128, model: { sharedBytesPerBlock: 113.5 * 1024 } }), D);
    expect(occ).toMatchObject({ blocksPerSm: 1, limitedBy: 'shared memory' });
    const dynamic = occupancy(makeKernel({ threads: 128, dynamicSharedBytes: 48 * 1024 }), D);
    expect(dynamic.limits['shared memory']).toBe(4);
  });

  it('is limited by the blocks-per-SM cap', () => {
    expect(occupancy(makeKernel({ threads: 32, model: { regsPerThread: 16 } }), D)).toMatchObject({
      blocksPerSm: 32,
      limitedBy: 'blocks',
    });
  });
});

describe('launch problems', () => {
  const problem = (shape: Parameters<typeof makeKernel>[0]) => launchProblem(makeKernel(shape), D);
  it('name the resource that does not fit', () => {
    expect(problem({})).toBeNull();
    expect(problem({ threads: 1025 })?.resource).toBe('threads');
    expect(problem({ model: { regsPerThread: 256 } })?.resource).toBe('registers');
    expect(problem({ threads: 1024, model: { regsPerThread: 128 } })?.resource).toBe('registers');
    expect(problem({ model: { sharedBytesPerBlock: 228 * 1024 } })?.resource).toBe('shared memory');
    expect(problem({ model: { sharedBytesPerBlock: 227 * 1024 } })).toBeNull();
    expect(problem({ grid: 0 })?.resource).toBe('grid');
    const tiny = { ...D, maxBlocksPerSm: 0 };
    expect(launchProblem(makeKernel(), tiny)?.message).toMatch(/blocks/);
  });
});

describe('grantedSms', () => {
  const green = (percent: number) => grantedSms({ mechanism: 'green', percent }, D);
  const mps = (percent: number) => grantedSms({ mechanism: 'mps', percent }, D);
  it('green takes whole 2-SM groups, rounded down, as the CUDA backend does on the H100', () => {
    expect(green(25)).toBe(32);
    expect(green(33)).toBe(42);
    expect(green(50)).toBe(66);
    expect(green(10)).toBe(12);
    expect(green(1)).toBe(2);
    expect(green(100)).toBe(132);
    expect(4 * green(25)).toBeLessThanOrEqual(132); // four quarter slices fit side by side
  });
  it('mps floors the percentage to an even SM count', () => {
    expect(mps(25)).toBe(32);
    expect(mps(50)).toBe(66);
    expect(mps(10)).toBe(12);
    expect(mps(1)).toBe(2);
    expect(mps(100)).toBe(132);
  });
  it('exclusive and timeslice get every SM; a bad percentage is an error', () => {
    expect(grantedSms({ mechanism: 'exclusive', percent: 100 }, D)).toBe(132);
    expect(grantedSms({ mechanism: 'timeslice', percent: 25 }, D)).toBe(132);
    for (const percent of [0, 101, Number.NaN]) {
      let error: unknown;
      try {
        green(percent);
      } catch (e) {
        error = e;
      }
      expect(isSlicetuneError(error, 'BAD_OPTION')).toBe(true);
    }
  });
});
