/**
 * Everything the report shows, gathered from the record store: runs with their tuning curves,
 * trials, failures and best throughput per task. Pure data, rendered by charts.ts.
 */
import { FAILURE_KINDS, type FailureKind } from '../measure/types.js';
import type { RunInfo } from '../records/runs.js';
import type { RecordStore } from '../records/store.js';
import type { TuningRecord } from '../records/types.js';
import { type CurvePoint, tuningCurve } from './curves.js';
import type { LatencyMatrix } from './matrix.js';
import { describeRun, type RunDescription } from './run-info.js';
import { flopsOfWorkloadKey } from './workload-flops.js';

export interface TaskSummary {
  /** Short name used on chart axes: t1, t2, ... */
  id: string;
  key: string;
  /** The weight a run stored for the task; null when no run stored one. */
  weight: number | null;
  flops: number | null;
}

export interface RunReport extends RunDescription {
  simulated: boolean;
  records: number;
  valid: number;
  curve: CurvePoint[];
  /** Aligned with ReportData.tasks. */
  trialsPerTask: number[];
  bestGflopsPerTask: (number | null)[];
  failures: Record<FailureKind, number>;
}

export interface ReportData {
  generatedAt: number;
  source: string;
  /** True when any record (or the matrix) comes from the simulated GPU. */
  simulated: boolean;
  devices: string[];
  tasks: TaskSummary[];
  runs: RunReport[];
  matrix?: LatencyMatrix;
}

export function collectReportData(store: RecordStore, matrix?: LatencyMatrix): ReportData {
  const records = store.query();
  const byRun = groupBy(records, (r) => r.runId);
  const known = store.listRuns().filter((run) => byRun.has(run.runId));
  const orphans = [...byRun.keys()].filter((id) => !known.some((run) => run.runId === id));
  const runs = [...known, ...orphans.map((id) => orphanRun(id, byRun.get(id) ?? []))].map(describeRun);
  const tasks = summarizeTasks(records, runs);
  return {
    generatedAt: Date.now(),
    source: store.path,
    simulated: records.some((r) => r.provenance.simulated) || matrix?.simulated === true,
    devices: [...new Set(records.map((r) => r.provenance.deviceName))],
    tasks,
    runs: runs.map((run) => reportRun(run, byRun.get(run.runId) ?? [], tasks)),
    ...(matrix ? { matrix } : {}),
  };
}

function reportRun(run: RunDescription, records: TuningRecord[], tasks: TaskSummary[]): RunReport {
  const weights = new Map(run.tasks.map((t) => [t.key, t.weight]));
  const failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
  const trials = new Map<string, number>();
  const best = new Map<string, number>();
  for (const r of records) {
    trials.set(r.taskKey, (trials.get(r.taskKey) ?? 0) + 1);
    if (r.result.ok) best.set(r.taskKey, Math.min(best.get(r.taskKey) ?? Infinity, r.result.medianMs));
    else failures[r.result.kind] += 1;
  }
  return {
    ...run,
    simulated: records.some((r) => r.provenance.simulated),
    records: records.length,
    valid: records.filter((r) => r.result.ok).length,
    curve: tuningCurve(records, run.started, weights),
    trialsPerTask: tasks.map((t) => trials.get(t.key) ?? 0),
    bestGflopsPerTask: tasks.map((t) => {
      const ms = best.get(t.key);
      return ms === undefined || t.flops === null ? null : t.flops / ms / 1e6;
    }),
    failures,
  };
}

function summarizeTasks(records: TuningRecord[], runs: RunDescription[]): TaskSummary[] {
  const stored = new Map(runs.flatMap((run) => run.tasks.map((t) => [t.key, t] as const)));
  const keys = [...new Set(records.map((r) => r.taskKey))];
  return keys.map((key, i) => {
    const task = stored.get(key);
    const workloadKey = records.find((r) => r.taskKey === key)?.workloadKey ?? '';
    return {
      id: `t${i + 1}`,
      key,
      weight: task?.weight ?? null,
      flops: task?.flops ?? flopsOfWorkloadKey(workloadKey),
    };
  });
}

/** Records whose run is not in the runs table (imported records): the run spans its records. */
function orphanRun(runId: string, records: TuningRecord[]): RunInfo {
  const times = records.map((r) => r.timestamp);
  return {
    runId,
    started: times.reduce((a, b) => Math.min(a, b), Infinity),
    finished: times.reduce((a, b) => Math.max(a, b), 0),
    options: {},
    status: 'finished',
    records: records.length,
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
