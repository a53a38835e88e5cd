/** The numbers a run reports: latency statistics and which kernels were tuned for which share. */
import { formatPercent, NEAREST_SHARE_RULE } from '../records/share.js';
import { mean, median, quantile } from '../util/stats.js';
import type { ExecutionPlan, KernelSummary, LatencyStats } from './types.js';

export function latencyStats(timesMs: readonly number[], warmup: number): LatencyStats {
  return {
    runs: timesMs.length,
    warmup,
    medianMs: median(timesMs),
    p99Ms: quantile(timesMs, 0.99),
    meanMs: mean(timesMs),
    minMs: Math.min(...timesMs),
    maxMs: Math.max(...timesMs),
  };
}

export function kernelSummary(plan: ExecutionPlan, uniqueKernels: number): KernelSummary {
  const tuned = plan.choices.filter((c) => c.tuned);
  const byTunedShare: Record<string, number> = {};
  for (const c of tuned) {
    const key = String(c.tunedPercent);
    byTunedShare[key] = (byTunedShare[key] ?? 0) + 1;
  }
  return {
    tunableNodes: plan.choices.length,
    tuned: tuned.length,
    untuned: plan.choices.length - tuned.length,
    byTunedShare,
    nearestShare: tuned.filter((c) => !c.exact).length,
    fixedLaunches: plan.launches.filter((l) => l.kind === 'fixed').length,
    aliasNodes: plan.aliasNodes,
    launches: plan.launches.length,
    uniqueKernels,
    choices: plan.choices,
  };
}

/** One line per share other than `percent` that tuned kernels came from (the nearest-share rule). */
export function shareNotes(plan: ExecutionPlan, percent: number): string[] {
  const counts = new Map<number, number>();
  for (const c of plan.choices) {
    if (c.tuned && !c.exact && c.tunedPercent !== null)
      counts.set(c.tunedPercent, (counts.get(c.tunedPercent) ?? 0) + 1);
  }
  return [...counts].map(
    ([tuned, n]) =>
      `${n} node(s) ran kernels tuned at ${formatPercent(tuned)}, the nearest tuned share to ${formatPercent(percent)} (rule: ${NEAREST_SHARE_RULE})`,
  );
}
