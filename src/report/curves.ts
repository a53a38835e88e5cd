/**
 * Tuning curves: the estimated model latency against wall time, rebuilt from a run's records.
 * After each measured batch (records of one timestamp) the estimate is the sum over tasks of
 * weight x the best latency found so far. A point appears only once every task that the run
 * ever measured successfully has a best: before that the model has no estimate.
 */
import type { TuningRecord } from '../records/types.js';

export interface CurvePoint {
  /** Seconds since the run started. */
  seconds: number;
  ms: number;
}

/** `records`: one run's records, oldest first. `weights`: task key -> weight (missing: 1). */
export function tuningCurve(
  records: readonly TuningRecord[],
  startedMs: number,
  weights: ReadonlyMap<string, number>,
): CurvePoint[] {
  const required = new Set(records.filter((r) => r.result.ok).map((r) => r.taskKey));
  const best = new Map<string, number>();
  const points: CurvePoint[] = [];
  records.forEach((record, i) => {
    if (record.result.ok) {
      const known = best.get(record.taskKey) ?? Number.POSITIVE_INFINITY;
      best.set(record.taskKey, Math.min(known, record.result.medianMs));
    }
    const batchEnds = records[i + 1]?.timestamp !== record.timestamp;
    if (!batchEnds || best.size < required.size) return;
    let ms = 0;
    for (const [task, latency] of best) ms += (weights.get(task) ?? 1) * latency;
    points.push({ seconds: Math.max(0, (record.timestamp - startedMs) / 1000), ms });
  });
  return points;
}
