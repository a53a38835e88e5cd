import { describe, expect, it } from 'vitest';
import { CudaBuffer, launchShapeProblem, packLaunchArgs, waitUntil } from '../../src/gpu/cuda/launch.js';
import { KernelTimeoutError } from '../../src/gpu/errors.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { isSlicetuneError } from '../../src/util/errors.js';

const source = {
  entry: 'axpy',
  args: [
    { kind: 'buffer', name: 'x', dtype: 'f32', elements: 4, role: 'input' },
    { kind: 'scalar', name: 'n', ctype: 'int', value: 4 },
    { kind: 'scalar', name: 'alpha', ctype: 'float', value: 0.5 },
  ],
} as unknown as KernelSource;

describe('packLaunchArgs', () => {
  it('packs a device pointer in 8 bytes and scalars in 4', () => {
    const buffer = new CudaBuffer(0x7f00_1234_5600n, 16);
    const [ptr, n, alpha] = packLaunchArgs(source, [buffer, { int: -7 }, { float: 1.25 }]);
    expect(ptr?.length).toBe(8);
    expect(ptr?.readBigUInt64LE(0)).toBe(0x7f00_1234_5600n);
    expect(n?.length).toBe(4);
    expect(n?.readInt32LE(0)).toBe(-7);
    expect(alpha?.length).toBe(4);
    expect(alpha?.readFloatLE(0)).toBe(1.25);
  });

  it('rejects arguments that do not match the declared list', () => {
    const buffer = new CudaBuffer(1n, 16);
    const code = (args: Parameters<typeof packLaunchArgs>[1]) => {
      try {
        packLaunchArgs(source, args);
      } catch (e) {
        return isSlicetuneError(e, 'BAD_OPTION') ? (e as Error).message : `unexpected ${String(e)}`;
      }
      return 'accepted';
    };
    expect(code([buffer, { int: 1 }])).toMatch(/2 launch arguments given, the kernel declares 3/);
    expect(code([buffer, { float: 1 }, { float: 1 }])).toMatch(/argument 1 \(n\) is declared int/);
    expect(code([{ bytes: 16 }, { int: 1 }, { float: 1 }])).toMatch(/must be a device buffer/);
    const freed = new CudaBuffer(2n, 16);
    freed.freed = true;
    expect(code([freed, { int: 1 }, { float: 1 }])).toMatch(/was freed/);
  });
});

describe('launchShapeProblem', () => {
  const device = { maxThreadsPerBlock: 1024, sharedMemPerBlockOptin: 232_448 };
  const fn = { entry: 'k', numRegs: 80, maxThreadsPerBlock: 768, staticSharedBytes: 16_384 };
  const shape = (threads: number, dynamicSharedBytes = 0) => ({
    block: [threads, 1, 1] as const,
    dynamicSharedBytes,
  });

  it('accepts a shape that fits', () => {
    expect(launchShapeProblem(fn, shape(512, 100_000), device)).toBeUndefined();
  });

  it('names the resource that does not fit', () => {
    expect(launchShapeProblem(fn, shape(2048), device)).toMatch(/^threads: k asks 2048/);
    expect(launchShapeProblem(fn, shape(1024), device)).toMatch(/^registers: k uses 80 registers/);
    expect(launchShapeProblem(fn, shape(256, 220_000), device)).toMatch(
      /^shared memory: k needs 236384 bytes/,
    );
  });
});

describe('waitUntil', () => {
  it('yields to other work while it polls, and resolves once done', async () => {
    let polls = 0;
    let otherWork = 0;
    let stop = false;
    // Other work queued the same way (setImmediate) must run between polls.
    const spin = () => {
      otherWork++;
      if (!stop) setImmediate(spin);
    };
    setImmediate(spin);
    await waitUntil(() => ++polls > 20, 10_000, 'test');
    stop = true;
    expect(polls).toBe(21);
    expect(otherWork).toBeGreaterThan(0);
  });

  it('rejects with KernelTimeoutError past its timeout', async () => {
    const error = await waitUntil(() => false, 30, 'kernel x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelTimeoutError);
    expect((error as Error).message).toContain('kernel x did not finish within 30 ms');
  });
});
