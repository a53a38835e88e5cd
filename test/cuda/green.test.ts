import { describe, expect, it } from 'vitest';
import type { CudaDriver } from '../../src/gpu/cuda/driver.js';
import { GreenContexts } from '../../src/gpu/cuda/green-contexts.js';
import { GreenSmPool, greenSmCount } from '../../src/gpu/cuda/green-pool.js';
import { isSlicetuneError } from '../../src/util/errors.js';

type GreenApi = NonNullable<CudaDriver['green']>;
const RESOURCE = 144;
const SM_COUNT = 96;

/**
 * A stand-in for the driver's green-context calls, shaped like an H100 under CUDA 13.0: 132 SMs,
 * 66 granules of 2 when co-scheduling is ignored, else 15 granules of 8.
 */
function fakeGreenApi(options: { fineSplitFails?: boolean } = {}) {
  const granted = new Map<bigint, number>();
  const destroyed: bigint[] = [];
  let created = 0;
  const api = {
    cuDeviceGetDevResource: (_dev: number, out: Buffer) => {
      out.writeUInt32LE(1, 0);
      out.writeUInt32LE(132, SM_COUNT);
      return 0;
    },
    cuDevSmResourceSplitByCount: (
      result: Buffer,
      groups: Buffer,
      _in: Buffer,
      _rest: Buffer,
      flags: number,
    ) => {
      if (flags === 1 && options.fineSplitFails) return 1;
      const [granule, possible] = flags === 1 ? [2, 66] : [8, 15];
      const made = Math.min(groups.readUInt32LE(0), possible);
      for (let i = 0; i < made; i++) {
        result.writeUInt32LE(1, i * RESOURCE);
        result.writeUInt32LE(granule, i * RESOURCE + SM_COUNT);
      }
      groups.writeUInt32LE(made, 0);
      return 0;
    },
    cuDevResourceGenerateDesc: (out: Buffer, resources: Buffer, count: number) => {
      let sms = 0;
      for (let i = 0; i < count; i++) sms += resources.readUInt32LE(i * RESOURCE + SM_COUNT);
      out.writeBigUInt64LE(BigInt(sms), 0);
      return 0;
    },
    cuGreenCtxCreate: (out: Buffer, desc: bigint) => {
      created += 1;
      const handle = BigInt(created);
      granted.set(handle, Number(desc));
      out.writeBigUInt64LE(handle, 0);
      return 0;
    },
    cuCtxFromGreenCtx: (out: Buffer, green: bigint) => {
      out.writeBigUInt64LE(green + 1000n, 0);
      return 0;
    },
    cuGreenCtxGetDevResource: (green: bigint, out: Buffer) => {
      out.writeUInt32LE(granted.get(green) ?? 0, SM_COUNT);
      return 0;
    },
    cuGreenCtxStreamCreate: (out: Buffer) => {
      out.writeBigUInt64LE(77n, 0);
      return 0;
    },
    cuGreenCtxDestroy: (green: bigint) => {
      destroyed.push(green);
      return 0;
    },
  };
  return { api: api as unknown as GreenApi, destroyed, created: () => created };
}

function sliceUnavailable(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (e) {
    return isSlicetuneError(e, 'SLICE_UNAVAILABLE');
  }
}

describe('greenSmCount', () => {
  it('rounds a share down to whole granules, at least one', () => {
    expect(greenSmCount(25, 132, 2)).toBe(32);
    expect(greenSmCount(25, 132, 8)).toBe(32);
    expect(greenSmCount(33, 132, 8)).toBe(40);
    expect(greenSmCount(50, 132, 2)).toBe(66);
    expect(greenSmCount(1, 132, 8)).toBe(8);
    expect(greenSmCount(100, 132, 8)).toBe(132);
  });
});

describe('GreenSmPool', () => {
  it('gives four 25% slices disjoint granules and refuses a fifth', () => {
    const pool = new GreenSmPool(fakeGreenApi().api, 0, 9);
    const quarters = [1, 2, 3, 4].map(() => pool.carve(25));
    expect(quarters.map((q) => q.sms)).toEqual([32, 32, 32, 32]);
    const granules = quarters.flatMap((q) => q.granules);
    expect(new Set(granules).size).toBe(granules.length);
    expect(quarters[0]?.resources.length).toBe(16 * RESOURCE);
    expect(sliceUnavailable(() => pool.carve(25))).toBe(true);
    pool.release(quarters[2] as (typeof quarters)[number]);
    expect(pool.carve(25).granules).toEqual(quarters[2]?.granules);
  });

  it('gives the whole device, leftovers included, only when no slice holds SMs', () => {
    const pool = new GreenSmPool(fakeGreenApi().api, 0, 9);
    const whole = pool.carve(100);
    expect(whole.sms).toBe(132);
    expect(sliceUnavailable(() => pool.carve(10))).toBe(true);
    pool.release(whole);
    const tenth = pool.carve(10);
    expect(sliceUnavailable(() => pool.carve(100))).toBe(true);
    pool.release(tenth);
    expect(pool.carve(100).sms).toBe(132);
  });

  it('falls back to co-scheduled granules when the fine split fails', () => {
    const pool = new GreenSmPool(fakeGreenApi({ fineSplitFails: true }).api, 0, 9);
    // 15 granules of 8 cover 120 SMs: a quarter of those is 30, rounded down to 24.
    const quarters = [1, 2, 3, 4].map(() => pool.carve(25));
    expect(quarters.map((q) => q.sms)).toEqual([24, 24, 24, 24]);
  });
});

describe('GreenContexts', () => {
  it('reuses the context of a closed slice of the same share', () => {
    const fake = fakeGreenApi();
    const contexts = new GreenContexts(fake.api, 0, 9);
    const first = contexts.acquire(25);
    expect(first.context.sms).toBe(32);
    first.release();
    const second = contexts.acquire(25);
    expect(second.context.green).toBe(first.context.green);
    expect(fake.created()).toBe(1);
    expect(fake.destroyed).toEqual([]);
  });

  it('destroys parked contexts when their SMs are needed for another share, and at the end', () => {
    const fake = fakeGreenApi();
    const contexts = new GreenContexts(fake.api, 0, 9);
    const quarters = [1, 2, 3, 4].map(() => contexts.acquire(25));
    for (const q of quarters) q.release();
    const half = contexts.acquire(50);
    expect(half.context.sms).toBe(66);
    expect(fake.destroyed).toHaveLength(4);
    half.release();
    expect(contexts.destroyParked()).toEqual([]);
    expect(fake.destroyed).toHaveLength(5);
  });
});
