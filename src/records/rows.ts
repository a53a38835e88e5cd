/** TuningRecord <-> a row of the `records` table. Every field has its own column; nothing is lost. */
import type { SliceMechanism } from '../gpu/types.js';
import type { FailureKind, MeasureResult } from '../measure/types.js';
import type { Config } from '../space/types.js';
import { stableStringify } from '../util/hash.js';
import type { TuningRecord } from './types.js';

/** A row as better-sqlite3 returns it (and the named parameters of the insert). */
export interface RecordRow {
  format_version: number;
  task_key: string;
  workload_key: string;
  template: string;
  config_key: string;
  config: string;
  mechanism: string;
  sms: number;
  percent: number;
  ok: number;
  failure_kind: string | null;
  median_ms: number | null;
  timings: string | null;
  compile_ms: number;
  message: string | null;
  checked: number | null;
  max_rel_error: number | null;
  binary_hash: string | null;
  registers: number | null;
  device_name: string;
  arch: string;
  driver: string;
  cuda: string;
  slicetune_version: string;
  simulated: number;
  timestamp: number;
  run_id: string;
}

export const RECORD_COLUMNS = [
  'format_version',
  'task_key',
  'workload_key',
  'template',
  'config_key',
  'config',
  'mechanism',
  'sms',
  'percent',
  'ok',
  'failure_kind',
  'median_ms',
  'timings',
  'compile_ms',
  'message',
  'checked',
  'max_rel_error',
  'binary_hash',
  'registers',
  'device_name',
  'arch',
  'driver',
  'cuda',
  'slicetune_version',
  'simulated',
  'timestamp',
  'run_id',
] as const satisfies readonly (keyof RecordRow)[];

export function recordToRow(r: TuningRecord): RecordRow {
  const res = r.result;
  return {
    format_version: r.formatVersion,
    task_key: r.taskKey,
    workload_key: r.workloadKey,
    template: r.template,
    config_key: r.configKey,
    config: stableStringify(r.config),
    mechanism: r.slice.mechanism,
    sms: r.slice.sms,
    percent: r.slice.percent,
    ok: res.ok ? 1 : 0,
    failure_kind: res.ok ? null : res.kind,
    median_ms: res.ok ? res.medianMs : null,
    timings: res.ok ? JSON.stringify(res.timesMs) : null,
    compile_ms: res.compileMs,
    message: res.ok ? null : res.message,
    checked: res.ok ? (res.checked ? 1 : 0) : null,
    max_rel_error: res.ok ? res.maxRelError : null,
    binary_hash: res.binaryHash ?? null,
    registers: res.ok ? res.registers : null,
    device_name: r.provenance.deviceName,
    arch: r.provenance.arch,
    driver: r.provenance.driverVersion,
    cuda: r.provenance.cudaVersion,
    slicetune_version: r.provenance.slicetuneVersion,
    simulated: r.provenance.simulated ? 1 : 0,
    timestamp: r.timestamp,
    run_id: r.runId,
  };
}

function resultFromRow(row: RecordRow): MeasureResult {
  if (row.ok === 1) {
    return {
      ok: true,
      timesMs: JSON.parse(row.timings ?? '[]') as number[],
      medianMs: row.median_ms ?? Number.NaN,
      compileMs: row.compile_ms,
      checked: row.checked === 1,
      maxRelError: row.max_rel_error ?? 0,
      binaryHash: row.binary_hash ?? '',
      registers: row.registers ?? 0,
    };
  }
  return {
    ok: false,
    kind: row.failure_kind as FailureKind,
    message: row.message ?? '',
    compileMs: row.compile_ms,
    ...(row.binary_hash === null ? {} : { binaryHash: row.binary_hash }),
  };
}

export function rowToRecord(row: RecordRow): TuningRecord {
  return {
    formatVersion: row.format_version,
    taskKey: row.task_key,
    workloadKey: row.workload_key,
    template: row.template,
    config: JSON.parse(row.config) as Config,
    configKey: row.config_key,
    slice: { mechanism: row.mechanism as SliceMechanism, sms: row.sms, percent: row.percent },
    result: resultFromRow(row),
    provenance: {
      deviceName: row.device_name,
      arch: row.arch,
      driverVersion: row.driver,
      cudaVersion: row.cuda,
      slicetuneVersion: row.slicetune_version,
      simulated: row.simulated === 1,
    },
    timestamp: row.timestamp,
    runId: row.run_id,
  };
}
