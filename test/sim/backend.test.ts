import { afterEach, describe, expect, it } from 'vitest';
import type { GpuBackend } from '../../src/gpu/backend.js';
import { CudaError } from '../../src/gpu/errors.js';
import { createSimBackend, SIM_DEVICE_INFO, simulateKernelTime } from '../../src/gpu/sim/index.js';
import { computeBound, makeKernel } from './fixtures.js';
import { prepare, randomData, runOnce, thrown } from './harness.js';

const backends: GpuBackend[] = [];
function backend(options: Parameters<typeof createSimBackend>[0] = {}): GpuBackend {
  const b = createSimBackend({ timeScale: 0, ...options });
  backends.push(b);
  return b;
}
afterEach(() => {
  for (const b of backends.splice(0)) b.close();
});

const TIMING = { count: 10, flushL2: false, timeoutMs: 10_000 };

describe('slices', () => {
  it('grant the rounded SM counts, say they are simulated, and several can be used at once', async () => {
    const b = backend();
    expect(b.info.simulated).toBe(true);
    const green = b.openSlice({ mechanism: 'green', percent: 25 });
    const mps = b.openSlice({ mechanism: 'mps', percent: 25 });
    expect(green.slice).toMatchObject({ mechanism: 'green', sms: 32, totalSms: 132, simulated: true });
    expect(mps.slice).toMatchObject({ mechanism: 'mps', sms: 32, requestedPercent: 25 });
    expect(green.slice.deviceName).toMatch(/simulated/i);
    expect(green.slice.id).not.toBe(mps.slice.id);
    const kernel = makeKernel();
    const outputs = await Promise.all([green, mps].map((ctx) => runOnce(ctx, kernel, prepare(ctx, kernel))));
    expect(outputs[0]).toEqual(outputs[1]);
  });

  it('reject an unknown mechanism and a second device', () => {
    expect(() => backend().openSlice({ mechanism: 'magic' as 'green', percent: 10 })).toThrow(/mechanism/);
    expect(() => createSimBackend({ device: 1 })).toThrow(/device/);
    expect(() => createSimBackend({ timeScale: -1 })).toThrow(/timeScale/);
  });
});

describe('buffers', () => {
  it('round-trip data, and 0xff poison reads back as NaN', () => {
    const ctx = backend().openSlice({ mechanism: 'exclusive', percent: 100 });
    const buf = ctx.alloc(64);
    const data = randomData(16, 3);
    ctx.upload(buf, data);
    expect(ctx.download(buf)).toEqual(data);
    ctx.fill(buf, 0xff);
    expect(ctx.download(buf).every(Number.isNaN)).toBe(true);
    expect((thrown(() => ctx.upload(buf, new Float32Array(17))) as CudaError).cudaName).toBe(
      'CUDA_ERROR_INVALID_VALUE',
    );
    ctx.free(buf);
    expect(() => ctx.download(buf)).toThrow(CudaError);
  });
});

describe('what a launch writes', () => {
  it('a correct kernel writes what the reference writes, a function of the inputs', async () => {
    const ctx = backend().openSlice({ mechanism: 'green', percent: 50 });
    const kernel = makeKernel({ entry: 'tuned_variant', grid: 2, threads: 512 });
    const reference = makeKernel({ entry: 'reference' });
    const got = await runOnce(ctx, kernel, prepare(ctx, kernel));
    const want = await runOnce(ctx, reference, prepare(ctx, reference));
    expect(got.some(Number.isNaN)).toBe(false);
    expect(got).toEqual(want);
    const otherInputs = await runOnce(ctx, reference, prepare(ctx, reference, 99));
    expect(otherInputs).not.toEqual(want);
    const otherWorkload = makeKernel({ computes: 'add:1024' });
    expect(await runOnce(ctx, otherWorkload, prepare(ctx, otherWorkload))).not.toEqual(want);
  });

  it('rejects arguments that do not match the kernel, without poisoning the context', async () => {
    const ctx = backend().openSlice({ mechanism: 'exclusive', percent: 100 });
    const kernel = makeKernel();
    const p = prepare(ctx, kernel);
    const error = await ctx.run(p.loaded, kernel, p.args.slice(1), 1_000).catch((e: unknown) => e);
    expect(error).toMatchObject({ cudaName: 'CUDA_ERROR_INVALID_VALUE', sticky: false });
    await expect(runOnce(ctx, kernel, p)).resolves.toBeInstanceOf(Float32Array);
  });
});

describe('timing', () => {
  it('is the model time with seeded noise: the same seed repeats, another seed differs', async () => {
    const series = async (seed: number) => {
      const ctx = backend({ seed }).openSlice({ mechanism: 'mps', percent: 50 });
      const kernel = computeBound();
      const p = prepare(ctx, kernel);
      const out: number[] = [];
      for (let i = 0; i < 5; i++) out.push(await ctx.time(p.loaded, kernel, p.args, TIMING));
      return out;
    };
    const a = await series(1);
    expect(await series(1)).toEqual(a);
    expect(await series(2)).not.toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    const model = simulateKernelTime(computeBound(), SIM_DEVICE_INFO, 66, {
      mechanism: 'mps',
      coRunningSlices: 1,
    });
    for (const t of a) expect(Math.abs(t / model - 1)).toBeLessThan(0.08);
  });

  it('counts the other open slices of the process as co-running', async () => {
    const b = backend({ seed: 5 });
    const alone = b.openSlice({ mechanism: 'timeslice', percent: 100 });
    const kernel = computeBound();
    const p = prepare(alone, kernel);
    const t1 = await alone.time(p.loaded, kernel, p.args, TIMING);
    b.openSlice({ mechanism: 'timeslice', percent: 100 });
    const t2 = await alone.time(p.loaded, kernel, p.args, TIMING);
    expect(t2 / t1).toBeGreaterThan(1.7);
  });

  it('sleeps the simulated time: two slices overlap in wall time, one slice runs in order', async () => {
    const kernel = computeBound();
    const simulatedMs = simulateKernelTime(kernel, SIM_DEVICE_INFO, 40, {
      mechanism: 'green',
      coRunningSlices: 2,
    });
    const timeScale = 200 / simulatedMs; // about 200 ms of wall time per launch
    const b = backend({ timeScale, seed: 3 });
    const slices = [0, 1].map(() => b.openSlice({ mechanism: 'green', percent: 25 }));
    const prepared = slices.map((ctx) => prepare(ctx, kernel));
    const one = { count: 1, flushL2: false, timeoutMs: 10_000 };
    const wall = async (launch: () => Promise<unknown>) => {
      const started = performance.now();
      await launch();
      return performance.now() - started;
    };
    const [s0, s1] = slices as [(typeof slices)[0], (typeof slices)[0]];
    const [p0, p1] = prepared as [(typeof prepared)[0], (typeof prepared)[0]];
    const together = await wall(() =>
      Promise.all([s0.time(p0.loaded, kernel, p0.args, one), s1.time(p1.loaded, kernel, p1.args, one)]),
    );
    const inOrder = await wall(() =>
      Promise.all([s0.time(p0.loaded, kernel, p0.args, one), s0.time(p0.loaded, kernel, p0.args, one)]),
    );
    // Serial would take ~400 ms; timers fire late under load, never early, so the slack is above.
    expect(together).toBeGreaterThan(180);
    expect(together).toBeLessThan(340);
    expect(inOrder).toBeGreaterThan(360);
  });
});

describe('memInfo', () => {
  it('goes down with alloc and load, back up with free, unload and close: leaks show', () => {
    const b = backend();
    const ctx = b.openSlice({ mechanism: 'green', percent: 25 });
    const used = () => ctx.memInfo().total - ctx.memInfo().free;
    expect(ctx.memInfo().total).toBe(SIM_DEVICE_INFO.memoryBytes);
    const start = used();
    const buf = ctx.alloc(1 << 20);
    expect(used()).toBe(start + (1 << 20));
    const p = prepare(ctx, makeKernel());
    expect(used()).toBeGreaterThan(start + (1 << 20));
    for (const x of p.buffers) ctx.free(x);
    ctx.unload(p.loaded);
    expect(used()).toBe(start + (1 << 20));
    ctx.free(buf);
    expect(used()).toBe(start);

    const leaky = b.openSlice({ mechanism: 'green', percent: 25 });
    expect(used()).toBeGreaterThan(start);
    prepare(leaky, makeKernel());
    leaky.close();
    expect(used()).toBe(start);
    expect(() => ctx.alloc(SIM_DEVICE_INFO.memoryBytes)).toThrow(/OUT_OF_MEMORY/);
  });
});
