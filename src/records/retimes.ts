/**
 * Re-timings alone: a config already recorded (co-located, the normal path) timed again with the
 * GPU to itself, before a task's best is final, and for the disturbance sample. The records table
 * keeps one measurement per (task, config, slice, device), so these live in their own table of
 * the same file, one row per run and config, and never change a record.
 */
import type Database from 'better-sqlite3';
import type { MeasureResult } from '../measure/types.js';
import { SlicetuneError } from '../util/errors.js';
import { messageOf, openDatabase } from './open.js';
import { whereEquals } from './query.js';
import type { SliceKey } from './types.js';

export type RetimeKind = 'top' | 'sample';

export interface RetimeRecord {
  runId: string;
  taskKey: string;
  configKey: string;
  slice: SliceKey;
  deviceName: string;
  /** `top`: one of the task's fastest; `sample`: picked at random for the disturbance. */
  kind: RetimeKind;
  /** The recorded (co-located) median, ms. */
  colocatedMs: number;
  /** The alone timing; a failure alone is kept as it came. */
  alone: MeasureResult;
  timestamp: number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS retimes (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id       TEXT    NOT NULL,
  task_key     TEXT    NOT NULL,
  config_key   TEXT    NOT NULL,
  mechanism    TEXT    NOT NULL,
  sms          INTEGER NOT NULL,
  percent      REAL    NOT NULL,
  device_name  TEXT    NOT NULL,
  kind         TEXT    NOT NULL CHECK (kind IN ('top', 'sample')),
  colocated_ms REAL    NOT NULL,
  alone_ms     REAL,                                   -- NULL when the alone run failed
  alone        TEXT    NOT NULL,                       -- JSON MeasureResult
  timestamp    INTEGER NOT NULL,
  UNIQUE (run_id, task_key, config_key, mechanism, sms, device_name)
);
CREATE INDEX IF NOT EXISTS retimes_task ON retimes (task_key, mechanism, sms);
`;

interface RetimeRow {
  run_id: string;
  task_key: string;
  config_key: string;
  mechanism: SliceKey['mechanism'];
  sms: number;
  percent: number;
  device_name: string;
  kind: RetimeKind;
  colocated_ms: number;
  alone: string;
  timestamp: number;
}

export interface RetimeFilter {
  runId?: string;
  taskKey?: string;
}

/**
 * The re-timings of a record store file. It opens its own connection (WAL lets it write beside
 * the store's); for `:memory:` that is a separate, private database.
 */
export class RetimeStore {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  static open(path: string): RetimeStore {
    const db = openDatabase(path);
    try {
      db.exec(DDL);
    } catch (e) {
      db.close();
      throw new SlicetuneError('RECORD_STORE', `cannot add the retimes table to ${path}: ${messageOf(e)}`, {
        cause: e,
      });
    }
    return new RetimeStore(db, path);
  }

  /** Adds re-timings in one transaction (a re-timing already stored for the run is replaced). */
  add(retimes: readonly RetimeRecord[]): void {
    const insert = this.db.prepare(
      `INSERT INTO retimes (run_id, task_key, config_key, mechanism, sms, percent, device_name, kind, colocated_ms, alone_ms, alone, timestamp)
       VALUES (@run_id, @task_key, @config_key, @mechanism, @sms, @percent, @device_name, @kind, @colocated_ms, @alone_ms, @alone, @timestamp)
       ON CONFLICT (run_id, task_key, config_key, mechanism, sms, device_name) DO UPDATE SET
         kind = excluded.kind, colocated_ms = excluded.colocated_ms, alone_ms = excluded.alone_ms,
         alone = excluded.alone, timestamp = excluded.timestamp`,
    );
    const addAll = this.db.transaction((batch: readonly RetimeRecord[]) => {
      for (const r of batch) {
        insert.run({
          run_id: r.runId,
          task_key: r.taskKey,
          config_key: r.configKey,
          mechanism: r.slice.mechanism,
          sms: r.slice.sms,
          percent: r.slice.percent,
          device_name: r.deviceName,
          kind: r.kind,
          colocated_ms: r.colocatedMs,
          alone_ms: r.alone.ok ? r.alone.medianMs : null,
          alone: JSON.stringify(r.alone),
          timestamp: r.timestamp,
        });
      }
    });
    try {
      addAll.immediate(retimes);
    } catch (e) {
      throw new SlicetuneError(
        'RECORD_STORE',
        `adding ${retimes.length} re-timings to ${this.path} failed, none was added: ${messageOf(e)}`,
        { cause: e },
      );
    }
  }

  /** Re-timings matching the filter, oldest first. */
  query(filter: RetimeFilter = {}): RetimeRecord[] {
    const { sql, params } = whereEquals({ runId: 'run_id', taskKey: 'task_key' }, filter);
    const rows = this.db
      .prepare(`SELECT * FROM retimes${sql} ORDER BY timestamp, id`)
      .all(params) as RetimeRow[];
    return rows.map((r) => ({
      runId: r.run_id,
      taskKey: r.task_key,
      configKey: r.config_key,
      slice: { mechanism: r.mechanism, sms: r.sms, percent: r.percent },
      deviceName: r.device_name,
      kind: r.kind,
      colocatedMs: r.colocated_ms,
      alone: JSON.parse(r.alone) as MeasureResult,
      timestamp: r.timestamp,
    }));
  }

  close(): void {
    this.db.close();
  }
}
