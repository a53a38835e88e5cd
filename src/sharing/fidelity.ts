/**
 * Measurement fidelity. Kernels measured side by side on one GPU disturb each other through DRAM
 * and L2, so before a task's best is final its fastest configs are timed again with the GPU to
 * themselves (MeasureSession.runAlone) and the fastest alone wins. A few other configs, picked at
 * random, are timed alone as well: their co-located / alone ratios measure the disturbance
 * without the bias of the top ones (picked because their co-located time was low).
 * Timing alone stops every other server, so it re-times only the top configs that could still
 * win once the run has seen how much the disturbance varies (worthRetiming): under a
 * measurement-bound protocol (min_repeat_ms) each one costs as much GPU time as a trial.
 */
import type { Trial } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { quantile } from '../util/stats.js';
import type { RunContext } from './context.js';
import type { OnServer, TaskRun } from './task-run.js';
import { sliceKeyOf } from './task-tuner.js';
import type { DisturbancePair, DisturbanceReport } from './types.js';

/** Disturbance ratios a run must have seen before they rule any top config out. */
const MIN_PAIRS_FOR_BAND = 4;
/** Alone timings of one config differ by a few percent: configs this close to the band still go. */
const NOISE_MARGIN = 1.03;

/**
 * The top configs (fastest co-located first) that could still be the fastest alone. With
 * r = co-located / alone, config i beats the best (0) alone only if c_i / c_0 < r_i / r_0, and
 * r_i / r_0 is at most the spread max r / min r of the ratios seen so far in this run: a config
 * slower than the best by more than that cannot win. Until the run has seen a few ratios, all go.
 */
export function worthRetiming(top: readonly Trial[], seen: readonly DisturbancePair[]): Trial[] {
  const best = top[0];
  if (!best || seen.length < MIN_PAIRS_FOR_BAND) return [...top];
  const ratios = seen.map((p) => p.ratio);
  const band = (Math.max(...ratios) / Math.min(...ratios)) * NOISE_MARGIN;
  return top.filter((t, i) => i === 0 || t.cost / best.cost < band);
}

/** Re-times the task's top configs that could win (and a random sample) alone; sets its final best. */
export async function retimeAlone(run: TaskRun, ctx: RunContext, onServer: OnServer): Promise<void> {
  const { topK, samples } = ctx.fidelity;
  const successes = run.session.history
    .filter((t) => Number.isFinite(t.cost))
    .sort((a, b) => a.cost - b.cost);
  const top = worthRetiming(successes.slice(0, topK), ctx.pairs);
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
