/**
 * Measurement fidelity. Kernels measured side by side on one GPU disturb each other through DRAM
 * and L2, so before a task's best is final its fastest configs are timed again with the GPU to
 * themselves (MeasureSession.runAlone) and the fastest alone wins. A few other configs, picked at
 * random, are timed alone as well: their co-located / alone ratios measure the disturbance
 * without the bias of the top ones (picked because their co-located time was low).
 */
import type { Trial } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { quantile } from '../util/stats.js';
import type { RunContext } from './context.js';
import type { OnServer, TaskRun } from './task-run.js';
import { sliceKeyOf } from './task-tuner.js';
import type { DisturbancePair, DisturbanceReport } from './types.js';

/** Re-times the task's top configs (and a random sample) alone; sets its final best. */
export async function retimeAlone(run: TaskRun, ctx: RunContext, onServer: OnServer): Promise<void> {
  const { topK, samples } = ctx.fidelity;
  const successes = run.session.history
    .filter((t) => Number.isFinite(t.cost))
    .sort((a, b) => a.cost - b.cost);
  const top = successes.slice(0, topK);
  const rest = successes.slice(topK);
  const sample = new Rng(ctx.seed + run.index * 104_729).shuffle([...rest]).slice(0, samples);
  const chosen: { trial: Trial; kind: DisturbancePair['kind'] }[] = [
    ...top.map((trial) => ({ trial, kind: 'top' as const })),
    ...sample.map((trial) => ({ trial, kind: 'sample' as const })),
  ];
  if (chosen.length === 0) return;
  const prepared = await ctx.session.prepare(run.inputsFor(chosen.map((c) => c.trial.config)));
  const measured = await onServer((lease) =>
    ctx.session.runAlone(prepared, ctx.measureOptions, lease.server),
  );
  const now = Date.now();
  const pairs: DisturbancePair[] = [];
  let final: TaskRun['final'];
  ctx.retimes?.add(
    measured.map((m, i) => {
      const { trial, kind } = chosen[i] as (typeof chosen)[number];
      if (m.result.ok) {
        pairs.push({
          taskKey: run.task.key,
          configKey: trial.configKey,
          kind,
          colocatedMs: trial.cost,
          aloneMs: m.result.medianMs,
          ratio: trial.cost / m.result.medianMs,
        });
        if (kind === 'top' && (!final || m.result.medianMs < final.ms)) {
          final = { ms: m.result.medianMs, config: trial.config, configKey: trial.configKey };
        }
      }
      return {
        runId: ctx.runId,
        taskKey: run.task.key,
        configKey: trial.configKey,
        slice: sliceKeyOf(m.slice, ctx.plan.percent),
        deviceName: ctx.session.device.name,
        kind,
        colocatedMs: trial.cost,
        alone: m.result,
        timestamp: now,
      };
    }),
  );
  run.retimed += measured.length;
  ctx.pairs.push(...pairs);
  // A top config that fails alone is no best; when every one does, the co-located best stands.
  if (final) run.final = final;
}

export function disturbanceReport(pairs: readonly DisturbancePair[]): DisturbanceReport | undefined {
  if (pairs.length === 0) return undefined;
  const ratios = (kind: DisturbancePair['kind']) => pairs.filter((p) => p.kind === kind).map((p) => p.ratio);
  const sampled = ratios('sample');
  const top = ratios('top');
  const q = (xs: number[], p: number) => (xs.length > 0 ? quantile(xs, p) : Number.NaN);
  return {
    samples: sampled.length,
    median: q(sampled, 0.5),
    p90: q(sampled, 0.9),
    max: sampled.length > 0 ? Math.max(...sampled) : Number.NaN,
    top: { samples: top.length, median: q(top, 0.5), p90: q(top, 0.9) },
    pairs: [...pairs],
  };
}
