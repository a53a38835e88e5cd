import { afterEach, describe, expect, it, vi } from 'vitest';
import { faultKernel, fmaReference, fmaVariant, hangKernel } from '../../bench/lib/kernels.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { MeasureSession } from '../../src/measure/session.js';
import { DEFAULT_MEASURE_OPTIONS, type MeasureInput, type MeasureOptions } from '../../src/measure/types.js';

const shape = { elements: 8192, iters: 256 };
const options: MeasureOptions = { ...DEFAULT_MEASURE_OPTIONS, repeat: 3, number: 3, timeoutMs: 300 };
const input = (kernel: KernelSource): MeasureInput => ({
  id: kernel.entry,
  kernel,
  reference: fmaReference(shape),
});

describe('measurement pool on the simulated GPU', () => {
  let session: MeasureSession | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  for (const mechanism of ['green', 'mps'] as const) {
    it(`${mechanism}: a batch with a planted fault and a planted hang completes with both recorded`, async () => {
      session = await MeasureSession.open({
        device: 'sim',
        mechanism,
        slices: 4,
        percent: 25,
        compileWorkers: 2,
        backendOptions: { timeScale: 0.05, seed: 7 },
      });
      expect(session.pool.servers).toHaveLength(4);
      for (const s of session.pool.servers) {
        expect(s.slice.simulated).toBe(true);
        expect(s.slice.sms).toBeGreaterThan(0);
        expect(s.slice.sms).toBeLessThan(s.slice.totalSms);
      }
      const kernels = Array.from({ length: 20 }, (_, i) => fmaVariant(shape, i));
      kernels.splice(7, 0, faultKernel(shape));
      kernels.splice(13, 0, hangKernel(shape));
      const results = await session.measure(kernels.map(input), options);
      const kinds = results.map((r) => (r.result.ok ? 'ok' : r.result.kind));
      expect(kinds.filter((k) => k === 'ok')).toHaveLength(20);
      expect(results.find((r) => r.id === 'fma_fault')?.result).toMatchObject({ ok: false, kind: 'fault' });
      expect(results.find((r) => r.id === 'fma_hang')?.result).toMatchObject({ ok: false, kind: 'timeout' });
      await session.pool.settled();
      expect(session.pool.stats.restarts).toBeGreaterThanOrEqual(2);
    });
  }

  it('the watchdog kills a runner that stops answering, records a timeout and goes on', async () => {
    session = await MeasureSession.open({
      device: 'sim',
      mechanism: 'timeslice',
      slices: 2,
      percent: 100,
      compileWorkers: 1,
      backendOptions: { timeScale: 0 },
    });
    const blocked = fmaVariant(shape, 40);
    blocked.model = { ...blocked.model, simBehavior: 'block' };
    const quick = { ...options, timeoutMs: 50 };
    const results = await session.measure([blocked, fmaVariant(shape, 41)].map(input), quick);
    expect(results[0]?.result).toMatchObject({ ok: false, kind: 'timeout' });
    const first = results[0]?.result;
    expect(first && !first.ok ? first.message : '').toMatch(/watchdog/);
    expect(results[1]?.result.ok).toBe(true);
  });

  it('restarts a runner that dies while idle', async () => {
    session = await MeasureSession.open({
      device: 'sim',
      mechanism: 'mps',
      slices: 2,
      percent: 50,
      compileWorkers: 1,
      backendOptions: { timeScale: 0 },
    });
    session.pool.servers[1]?.process.kill();
    // The exit arrives when the OS reports it: wait for the restart, not for a fixed time.
    await vi.waitFor(() => expect(session?.pool.stats.restarts).toBe(1), { timeout: 15_000, interval: 20 });
    await session.pool.settled();
    expect(session.pool.stats.restarts).toBe(1);
    expect(session.pool.servers[1]?.process.alive).toBe(true);
    const [r] = await session.run(await session.prepare([input(fmaVariant(shape, 9))]), options, 1);
    expect(r?.result.ok).toBe(true);
  });

  it('measures an item alone: nothing else runs while it does', async () => {
    session = await MeasureSession.open({
      device: 'sim',
      mechanism: 'green',
      slices: 4,
      percent: 25,
      compileWorkers: 1,
      backendOptions: { timeScale: 0.2 },
    });
    const prepared = await session.prepare(
      Array.from({ length: 9 }, (_, i) => input(fmaVariant(shape, 50 + i))),
    );
    let maxInFlightDuringAlone = 0;
    const alone = session.runAlone(prepared.slice(0, 1), options);
    const others = session.run(prepared.slice(1), options);
    const watch = setInterval(() => {
      if (session && session.pool.stats.aloneRuns > 0) {
        maxInFlightDuringAlone = Math.max(maxInFlightDuringAlone, session.pool.inFlight);
      }
    }, 1);
    const [a] = await alone;
    clearInterval(watch);
    await others;
    expect(a?.result.ok).toBe(true);
    expect(session.pool.stats.aloneRuns).toBe(1);
    // Once the alone item started, it was the only one in flight until it finished.
    expect(maxInFlightDuringAlone).toBe(1);
  });

  it('measures identical binaries once', async () => {
    session = await MeasureSession.open({
      device: 'sim',
      mechanism: 'exclusive',
      slices: 1,
      percent: 100,
      compileWorkers: 1,
      backendOptions: { timeScale: 0 },
    });
    const k = fmaVariant(shape, 2);
    const results = await session.measure([input(k), { ...input(k), id: 'again' }], options);
    expect(results[0]?.result).toEqual(results[1]?.result);
    expect(session.builder.compiled).toBe(2); // the kernel and its reference, each once
  });
});
