/**
 * The tuning database: SQLite through better-sqlite3, in WAL mode. A record is never stored twice
 * (UNIQUE on task, config, slice and device), every batch is one transaction, and a process killed
 * mid-run leaves a store that opens cleanly with every committed batch in it: WAL with
 * synchronous=NORMAL loses nothing on a process crash (only a power loss may drop the last commits).
 */
import type Database from 'better-sqlite3';
import { SlicetuneError } from '../util/errors.js';
import { RECORD_UNIQUE_COLUMNS } from './ddl.js';
import { messageOf, type OpenOptions, openDatabase } from './open.js';
import { type BestAnswer, type RecordFilter, type ShareQuery, whereOf } from './query.js';
import { RECORD_COLUMNS, type RecordRow, recordToRow, rowToRecord } from './rows.js';
import { type RunInfo, RunLog, type RunStatus } from './runs.js';
import { parseTuningRecord } from './schema.js';
import { nearestTunedShare, shareNote } from './share.js';
import type { SliceKey, TuningRecord } from './types.js';

export class RecordStore {
  private readonly runs: RunLog;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.runs = new RunLog(db, path);
  }

  static open(path: string, options: OpenOptions = {}): RecordStore {
    return new RecordStore(openDatabase(path, options), path);
  }

  /**
   * Adds a batch in ONE transaction: every record is validated, and one invalid record (or any
   * database error) adds nothing. A record already stored is skipped. Returns how many were new.
   */
  add(records: readonly TuningRecord[]): number {
    const insert = this.statement(
      `INSERT INTO records (${RECORD_COLUMNS.join(', ')}) VALUES (${RECORD_COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (${RECORD_UNIQUE_COLUMNS.join(', ')}) DO NOTHING`,
    );
    const addAll = this.db.transaction((batch: readonly TuningRecord[]) => {
      let inserted = 0;
      batch.forEach((candidate, index) => {
        const parsed = parseTuningRecord(candidate);
        if ('error' in parsed) {
          throw new SlicetuneError(
            'RECORD_STORE',
            `record ${index} of ${batch.length} is not a valid TuningRecord (${parsed.error}); none of the batch was added to ${this.path}`,
          );
        }
        inserted += insert.run(recordToRow(parsed.record)).changes;
      });
      return inserted;
    });
    try {
      return addAll.immediate(records);
    } catch (e) {
      if (e instanceof SlicetuneError) throw e;
      throw new SlicetuneError(
        'RECORD_STORE',
        `adding ${records.length} records to ${this.path} failed, none was added: ${messageOf(e)}`,
        { cause: e },
      );
    }
  }

  /** Whether this config was measured (successfully or not) for the task on this slice and device. */
  has(taskKey: string, configKey: string, slice: SliceKey, deviceName: string): boolean {
    const row = this.statement(
      `SELECT 1 FROM records WHERE task_key = ? AND config_key = ? AND mechanism = ? AND sms = ? AND device_name = ?`,
    ).get(taskKey, configKey, slice.mechanism, slice.sms, deviceName);
    return row !== undefined;
  }

  /** Config keys measured for the task on this slice and device: what a resumed run skips. */
  measuredConfigKeys(taskKey: string, slice: SliceKey, deviceName: string): Set<string> {
    const rows = this.statement(
      `SELECT config_key FROM records WHERE task_key = ? AND mechanism = ? AND sms = ? AND device_name = ?`,
    )
      .pluck()
      .all(taskKey, slice.mechanism, slice.sms, deviceName) as string[];
    return new Set(rows);
  }

  /** Records matching the filter, oldest first (timestamp, then insertion order). */
  query(filter: RecordFilter = {}): TuningRecord[] {
    return [...this.iterate(filter)];
  }

  /** Like query, one record at a time (export of a large store). */
  *iterate(filter: RecordFilter = {}): Generator<TuningRecord> {
    const { sql, params } = whereOf(filter);
    const limit = filter.limit === undefined ? '' : ' LIMIT @limit';
    const rows = this.statement(`SELECT * FROM records${sql} ORDER BY timestamp, id${limit}`).iterate({
      ...params,
      ...(filter.limit === undefined ? {} : { limit: filter.limit }),
    });
    for (const row of rows) yield rowToRecord(row as RecordRow);
  }

  count(filter: RecordFilter = {}): number {
    const { sql, params } = whereOf(filter);
    return this.statement(`SELECT COUNT(*) FROM records${sql}`).pluck().get(params) as number;
  }

  /** The k fastest successful records of the task on this slice (mechanism and SMs), fastest first. */
  topK(taskKey: string, slice: SliceKey, k: number, deviceName?: string): TuningRecord[] {
    const device = deviceName === undefined ? '' : ' AND device_name = @deviceName';
    const rows = this.statement(
      `SELECT * FROM records WHERE task_key = @taskKey AND mechanism = @mechanism AND sms = @sms AND ok = 1${device}
       ORDER BY median_ms, id LIMIT @k`,
    ).all({
      taskKey,
      mechanism: slice.mechanism,
      sms: slice.sms,
      k,
      ...(deviceName === undefined ? {} : { deviceName }),
    });
    return (rows as RecordRow[]).map(rowToRecord);
  }

  /** Shares (percent) at which the workload has at least one successful record, ascending. */
  tunedShares(workloadKey: string, deviceName?: string, mechanism?: ShareQuery['mechanism']): number[] {
    const { sql, params } = whereOf({ workloadKey, deviceName, mechanism, okOnly: true });
    return this.statement(`SELECT DISTINCT percent FROM records${sql} ORDER BY percent`)
      .pluck()
      .all(params) as number[];
  }

  /**
   * The fastest successful record of the workload (any template) at a share. When that share was
   * never tuned, the nearest tuned share answers (a tie goes to the smaller) and the note says so.
   */
  best(workloadKey: string, share: ShareQuery): BestAnswer | null {
    const tunedPercent = nearestTunedShare(
      this.tunedShares(workloadKey, share.deviceName, share.mechanism),
      share.percent,
    );
    if (tunedPercent === null) return null;
    const filter = { workloadKey, deviceName: share.deviceName, mechanism: share.mechanism, okOnly: true };
    const { sql, params } = whereOf({ ...filter, percent: tunedPercent });
    // A config re-timed alone (sharing/fidelity.ts: a task's top configs after a co-located run)
    // ranks by its alone time, which is what it runs at; the others by their recorded median.
    const rank = this.hasRetimes()
      ? `COALESCE((SELECT MIN(t.alone_ms) FROM retimes t WHERE t.task_key = records.task_key
           AND t.config_key = records.config_key AND t.mechanism = records.mechanism
           AND t.sms = records.sms AND t.device_name = records.device_name), median_ms)`
      : 'median_ms';
    const row = this.statement(
      `SELECT *, ${rank} AS rank_ms FROM records${sql} ORDER BY rank_ms, id LIMIT 1`,
    ).get(params) as (RecordRow & { rank_ms: number }) | undefined;
    if (row === undefined) return null;
    const context =
      `for ${workloadKey}` +
      (share.mechanism ? ` with ${share.mechanism}` : '') +
      (share.deviceName ? ` on ${share.deviceName}` : '');
    return {
      record: rowToRecord(row),
      rankMs: row.rank_ms,
      exact: tunedPercent === share.percent,
      tunedPercent,
      note: shareNote(share.percent, tunedPercent, context),
    };
  }

  /** Whether the file holds re-timings (the table appears with the first tuning that re-times). */
  private hasRetimes(): boolean {
    return (
      this.statement(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retimes'`).get() !==
      undefined
    );
  }

  /** Records a run as started (again, when a run id is resumed), with the options it runs with. */
  startRun(runId: string, options: unknown): void {
    this.runs.start(runId, options);
  }

  finishRun(runId: string, status: Exclude<RunStatus, 'running'> = 'finished'): void {
    this.runs.finish(runId, status);
  }

  listRuns(): RunInfo[] {
    return this.runs.list();
  }

  /** Problems PRAGMA integrity_check finds; empty when the file is sound. */
  integrityProblems(): string[] {
    const lines = this.db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    return lines.map((l) => l.integrity_check).filter((l) => l !== 'ok');
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}
