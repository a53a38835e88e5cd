/**
 * Does the GPU's work slow the CPU's compiles? On the lent H100 VM, configs compiled 5-10x
 * slower inside a tuning loop than alone, with 5-10x the CPU time (bench/compile worker traces,
 * 2026-11-27); in the baseline loop a task's first batch (compiled ~400 ms after the last
 * measurement) was fast and its second (right after the first batch's measurement) slow.
 *
 * This compiles the same configs, a batch of 8 at a time on a pool of worker processes as the
 * tuning loop does, under four conditions taken in turn (twice, to control for drift):
 *   idle        no GPU work; 100 ms between batches (as long as a batch's measurement)
 *   after       each batch right after one measurement on the runner
 *   after+500   each batch 500 ms after one measurement
 *   during      while the runner measures without pause (the autotvm protocol: 0.46 s each)
 */
import type { DeviceChoice } from '../../src/gpu/device.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { Builder } from '../../src/measure/builder.js';
import { MeasureSession } from '../../src/measure/session.js';
import { AUTOTVM_MEASURE_OPTIONS, DEFAULT_MEASURE_OPTIONS } from '../../src/measure/types.js';

export const INTERFERENCE_CONDITIONS = ['idle', 'after', 'after+500', 'during'] as const;
export type InterferenceCondition = (typeof INTERFERENCE_CONDITIONS)[number];

const BATCH = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface InterferenceProbe {
  device: DeviceChoice;
  /** What the runner measures to keep the GPU at work: a config and its reference. */
  kernel: KernelSource;
  reference: KernelSource;
  /** Configs to compile under each condition. */
  kernels: readonly KernelSource[];
}

/** Compile ms of every config under each condition. */
export async function compileUnderGpuWork(
  probe: InterferenceProbe,
): Promise<Record<InterferenceCondition, number[]>> {
  const session = await MeasureSession.open({
    device: probe.device,
    mechanism: 'exclusive',
    slices: 1,
    percent: 100,
    compileWorkers: 1,
  });
  const builder = new Builder({ backend: session.backend, arch: session.device.arch, cacheEntries: 0 });
  const out: Record<InterferenceCondition, number[]> = { idle: [], after: [], 'after+500': [], during: [] };
  try {
    const [prepared] = await session.prepare([
      { id: 'probe', kernel: probe.kernel, reference: probe.reference },
    ]);
    if (!prepared?.ok) throw new Error('the probe config did not compile');
    const { item } = prepared;
    const measureOnce = (options = DEFAULT_MEASURE_OPTIONS) => session.pool.measure([item], options);
    await builder.build(probe.kernels.slice(0, BATCH)); // start the workers outside the timings
    await measureOnce();

    const compileBatches = async (before: () => Promise<unknown>, into: number[]) => {
      for (let i = 0; i < probe.kernels.length; i += BATCH) {
        await before();
        const outcomes = await builder.build(probe.kernels.slice(i, i + BATCH));
        for (const o of outcomes) into.push(o.ok ? o.binary.compileMs : o.compileMs);
      }
    };
    for (let round = 0; round < 2; round++) {
      await compileBatches(() => sleep(100), out.idle);
      await compileBatches(() => measureOnce(), out.after);
      await compileBatches(async () => {
        await measureOnce();
        await sleep(500);
      }, out['after+500']);
      let busy = true;
      const load = (async () => {
        while (busy) await measureOnce(AUTOTVM_MEASURE_OPTIONS);
      })();
      try {
        await compileBatches(() => sleep(100), out.during);
      } finally {
        busy = false;
        await load;
      }
    }
    return out;
  } finally {
    await builder.close();
    await session.close();
  }
}
