/**
 * Transfer: the cost model's prior from records of the same workload at other shares and of
 * similar workloads (same template, other shapes). Absolute times differ across shares and
 * shapes, so each source group's costs are divided by that group's best; what carries over is
 * which configs are relatively fast. Closer sources weigh more.
 */

import { costOf } from '../measure/types.js';
import type { TuningRecord } from '../records/types.js';
import type { Config, ConfigSpace } from '../space/types.js';
import type { PriorPoint } from './types.js';

export interface TransferTarget {
  workloadKey: string;
  /** Share of the GPU being tuned, percent. */
  percent: number;
  /** Only records of this template are used (others have other knobs). */
  template?: string;
}

export interface TransferOptions {
  /** Weight of the same workload at another share, before the share-distance factor. */
  sameWorkloadWeight?: number;
  /** Weight of a similar workload (same template, other shape), before the share-distance factor. */
  similarWorkloadWeight?: number;
  /** Most points returned (the heaviest, then the fastest, are kept). */
  maxPoints?: number;
}

interface Group {
  sameWorkload: boolean;
  percent: number;
  byConfig: Map<string, { config: Config; cost: number }>;
}

export function transferPrior(
  records: readonly TuningRecord[],
  space: ConfigSpace,
  target: TransferTarget,
  options: TransferOptions = {},
): PriorPoint[] {
  const sameWeight = options.sameWorkloadWeight ?? 1;
  const similarWeight = options.similarWorkloadWeight ?? 0.3;
  const maxPoints = options.maxPoints ?? 512;
  const points: PriorPoint[] = [];
  for (const group of sourceGroups(records, target).values()) {
    const best = Math.min(...[...group.byConfig.values()].map((e) => e.cost));
    if (!Number.isFinite(best)) continue; // nothing ran: no scale to normalise by
    const weight =
      (group.sameWorkload ? sameWeight : similarWeight) * shareCloseness(group.percent, target.percent);
    for (const { config, cost } of group.byConfig.values()) {
      const features = featuresIn(space, config);
      if (!features) continue;
      const point: PriorPoint = { features, cost: cost / best, weight, context: shareContext(group.percent) };
      if (validIn(space, config)) point.config = config;
      points.push(point);
    }
  }
  points.sort((a, b) => (b.weight ?? 1) - (a.weight ?? 1) || a.cost - b.cost);
  return points.slice(0, maxPoints);
}

/** The share as a model feature: give it to the model strategy as `context` for the target. */
export function shareContext(percent: number): number[] {
  return [Math.log2(percent)];
}

/** 1 at the same share, 1/2 at a factor of 4 apart, falling slowly with the log-distance. */
export function shareCloseness(sourcePercent: number, targetPercent: number): number {
  return 1 / (1 + 0.5 * Math.abs(Math.log2(sourcePercent / targetPercent)));
}

function sourceGroups(records: readonly TuningRecord[], target: TransferTarget): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const r of records) {
    if (target.template !== undefined && r.template !== target.template) continue;
    const sameWorkload = r.workloadKey === target.workloadKey;
    // The target's own records are its history, not a prior.
    if (sameWorkload && r.slice.percent === target.percent) continue;
    const groupKey = `${r.workloadKey}|${r.template}|${r.slice.percent}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { sameWorkload, percent: r.slice.percent, byConfig: new Map() };
      groups.set(groupKey, group);
    }
    const cost = costOf(r.result);
    const seen = group.byConfig.get(r.configKey);
    if (!seen || cost < seen.cost) group.byConfig.set(r.configKey, { config: r.config, cost });
  }
  return groups;
}

/** The config's features in the target space, or undefined when its knobs do not fit it. */
function featuresIn(space: ConfigSpace, config: Config): number[] | undefined {
  if (!space.knobs.every((k) => k.name in config)) return undefined;
  try {
    const features = space.features(config);
    return features.every(Number.isFinite) && features.length === space.featureNames().length
      ? features
      : undefined;
  } catch {
    return undefined;
  }
}

function validIn(space: ConfigSpace, config: Config): boolean {
  try {
    return space.isValid(config);
  } catch {
    return false;
  }
}
