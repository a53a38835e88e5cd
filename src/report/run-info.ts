/**
 * What a report needs to know about a tuning run, read defensively from the `runs` table's
 * options: each command stores its own options there, so every field is optional and checked.
 */
import type { RunInfo } from '../records/runs.js';

export type RunKind = 'baseline' | 'shared' | 'single';

export interface RunTask {
  key: string;
  weight: number;
  flops?: number;
}

export interface RunDescription {
  runId: string;
  label: string;
  kind: RunKind;
  status: string;
  started: number;
  finished: number | null;
  /** Tasks as the tuner stored them (objects with weights, or bare keys: weight 1); may be empty. */
  tasks: RunTask[];
}

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function describeRun(run: RunInfo): RunDescription {
  const options = isDict(run.options) ? run.options : {};
  const plan = isDict(options.plan) ? options.plan : {};
  const kind = runKind(options, plan);
  const what = text(options.model) ?? text(options.op) ?? text(options.command) ?? 'run';
  const share = num(options.share) ?? num(plan.percent);
  const mechanism = text(plan.mechanism) ?? text(options.sharing) ?? text(options.mechanism);
  const parts = [
    what,
    share === undefined ? undefined : `${share}%`,
    mechanism,
    kind === 'baseline' ? 'baseline' : undefined,
  ];
  return {
    runId: run.runId,
    label: `${parts.filter((p) => p !== undefined).join(' ')} [${run.runId.slice(0, 8)}]`,
    kind,
    status: run.status,
    started: run.started,
    finished: run.finished,
    tasks: tasksOf(options.tasks),
  };
}

function runKind(options: Dict, plan: Dict): RunKind {
  if (options.baseline === true || options.mode === 'baseline' || plan.mode === 'baseline') return 'baseline';
  const servers = num(plan.servers) ?? num(options.servers) ?? 1;
  const clients = num(plan.clients) ?? num(options.clients) ?? 1;
  return servers > 1 || clients > 1 || plan.mode === 'shared' ? 'shared' : 'single';
}

function tasksOf(value: unknown): RunTask[] {
  if (!Array.isArray(value)) return [];
  const tasks: RunTask[] = [];
  for (const item of value) {
    // Some tuners store only the task keys: those tasks weigh 1.
    if (typeof item === 'string' && item !== '') tasks.push({ key: item, weight: 1 });
    if (!isDict(item)) continue;
    const key = text(item.key);
    if (key === undefined) continue;
    const flops = num(item.flops);
    tasks.push({ key, weight: num(item.weight) ?? 1, ...(flops === undefined ? {} : { flops }) });
  }
  return tasks;
}
