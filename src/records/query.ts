/** Record filters and answers, and the SQL WHERE clause a filter becomes. */
import type { SliceMechanism } from '../gpu/types.js';
import type { TuningRecord } from './types.js';

export interface RecordFilter {
  taskKey?: string | undefined;
  workloadKey?: string | undefined;
  template?: string | undefined;
  /** The requested share of the slice, percent. */
  percent?: number | undefined;
  mechanism?: SliceMechanism | undefined;
  deviceName?: string | undefined;
  runId?: string | undefined;
  /** Successful measurements only. */
  okOnly?: boolean | undefined;
  /** At most this many records (query and export; count ignores it). */
  limit?: number | undefined;
}

export interface ShareQuery {
  percent: number;
  mechanism?: SliceMechanism | undefined;
  deviceName?: string | undefined;
}

export interface BestAnswer {
  record: TuningRecord;
  /** What ranked it first: its alone re-timing where it has one, else its recorded median, ms. */
  rankMs: number;
  /** Whether the record was tuned at the share asked for. */
  exact: boolean;
  /** The share the record was tuned at (the nearest tuned share when not exact). */
  tunedPercent: number;
  /** One sentence on which share answered, and by what rule when it was not the one asked for. */
  note: string;
}

const FILTER_COLUMNS = {
  taskKey: 'task_key',
  workloadKey: 'workload_key',
  template: 'template',
  percent: 'percent',
  mechanism: 'mechanism',
  deviceName: 'device_name',
  runId: 'run_id',
} as const satisfies Partial<Record<keyof RecordFilter, string>>;

/**
 * ` WHERE a = @a AND ...` (or '') and its named parameters, over a map from filter fields to
 * columns (records, retimes and model_runs share it); undefined fields do not filter.
 */
export function whereEquals<F extends object>(
  columns: { readonly [K in keyof F]?: string },
  filter: F,
  extra: readonly string[] = [],
): { sql: string; params: Record<string, string | number> } {
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  for (const [field, column] of Object.entries(columns) as [keyof F & string, string][]) {
    const value = filter[field];
    if (value === undefined) continue;
    clauses.push(`${column} = @${field}`);
    params[field] = value as string | number;
  }
  clauses.push(...extra);
  return { sql: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

export function whereOf(filter: RecordFilter): { sql: string; params: Record<string, string | number> } {
  return whereEquals(FILTER_COLUMNS, filter, filter.okOnly ? ['ok = 1'] : []);
}
