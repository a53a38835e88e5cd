/**
 * Compiling in the benchmark's own process, quietly, to compare with compile times recorded during
 * tuning (the lent GPU machine compiled 5-10x slower inside the tuning loop: docs/RESULTS.md 3.3).
 */
import type { Compiler } from '../../src/gpu/backend.js';
import type { DeviceChoice } from '../../src/gpu/device.js';
import type { DeviceInfo } from '../../src/gpu/types.js';
import type { TuningRecord } from '../../src/records/types.js';
import type { Task } from '../../src/templates/index.js';
import { getTemplate } from '../../src/templates/index.js';
import { quantile } from '../../src/util/stats.js';

/** A compiler in this process (NVRTC is loaded only on the GPU machine). */
export async function hostCompiler(device: DeviceChoice, arch: string): Promise<Compiler> {
  return device === 'sim'
    ? (await import('../../src/gpu/sim/index.js')).createSimCompiler(arch)
    : (await import('../../src/gpu/cuda/nvrtc.js')).createNvrtcCompiler(arch);
}

export interface Inflation {
  /** Configs compiled again. */
  samples: number;
  /** Median over them of (compile ms during tuning) / (compile ms alone, now). */
  median: number;
  p90: number;
}

/**
 * Compiles up to `max` of a run's successful records again, one at a time, and compares each
 * with its compile time during the run: 1 means the tuning loop compiled as fast as a quiet process.
 */
export function compileInflation(
  compiler: Compiler,
  records: readonly TuningRecord[],
  tasks: readonly Task[],
  card: DeviceInfo,
  max: number,
): Inflation | undefined {
  const taskOf = new Map(tasks.map((t) => [t.key, t]));
  const ok = records.filter((r) => r.result.ok && taskOf.has(r.taskKey));
  const step = Math.max(1, Math.floor(ok.length / max));
  const ratios: number[] = [];
  for (let i = 0; i < ok.length && ratios.length < max; i += step) {
    const r = ok[i] as TuningRecord;
    const task = taskOf.get(r.taskKey) as Task;
    const kernel = getTemplate(task.template).generate(task.workload, r.config, card);
    const alone = compiler.compile(kernel).compileMs;
    ratios.push(r.result.compileMs / Math.max(1e-3, alone));
  }
  if (ratios.length === 0) return undefined;
  return { samples: ratios.length, median: quantile(ratios, 0.5), p90: quantile(ratios, 0.9) };
}
