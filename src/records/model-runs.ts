/**
 * Whole-model latencies from `slicetune sweep`: the variant tuned at one share run on a slice of
 * another. They are not tuning records (no config, no task), so they live in their own table of
 * the store file, one row per sweep run and (tuned-at, run-at) pair.
 */
import type Database from 'better-sqlite3';
import type { SliceMechanism } from '../gpu/types.js';
import { SlicetuneError } from '../util/errors.js';
import { messageOf, openDatabase } from './open.js';
import { whereEquals } from './query.js';

export interface ModelRunRecord {
  /** The sweep that ran it. */
  runId: string;
  model: string;
  /** The share whose records chose the kernels, percent. */
  tunedAtPercent: number;
  /** The share of the slice it ran on, percent. */
  runAtPercent: number;
  /** The run slice's mechanism. */
  mechanism: SliceMechanism;
  medianMs: number;
  p99Ms: number;
  deviceName: string;
  /** True on the simulated GPU: the latencies are an analytical model's predictions. */
  simulated: boolean;
  timestamp: number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS model_runs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id           TEXT    NOT NULL,
  model            TEXT    NOT NULL,
  tuned_at_percent REAL    NOT NULL,
  run_at_percent   REAL    NOT NULL,
  mechanism        TEXT    NOT NULL,
  median_ms        REAL    NOT NULL,
  p99_ms           REAL    NOT NULL,
  device_name      TEXT    NOT NULL,
  simulated        INTEGER NOT NULL CHECK (simulated IN (0, 1)),
  timestamp        INTEGER NOT NULL,
  UNIQUE (run_id, model, tuned_at_percent, run_at_percent)
);
CREATE INDEX IF NOT EXISTS model_runs_model ON model_runs (model, timestamp);
`;

interface ModelRunRow {
  run_id: string;
  model: string;
  tuned_at_percent: number;
  run_at_percent: number;
  mechanism: SliceMechanism;
  median_ms: number;
  p99_ms: number;
  device_name: string;
  simulated: number;
  timestamp: number;
}

export interface ModelRunFilter {
  runId?: string | undefined;
  model?: string | undefined;
}

/**
 * The model runs of a record store file. It opens its own connection (WAL lets it write beside
 * the store's); for `:memory:` that is a separate, private database.
 */
export class ModelRunStore {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  static open(path: string, options: { mustExist?: boolean } = {}): ModelRunStore {
    const db = openDatabase(path, options);
    try {
      db.exec(DDL);
    } catch (e) {
      db.close();
      throw new SlicetuneError(
        'RECORD_STORE',
        `cannot add the model_runs table to ${path}: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
    return new ModelRunStore(db, path);
  }

  /** Adds model runs in one transaction (a pair already stored for the run is replaced). */
  add(runs: readonly ModelRunRecord[]): void {
    const insert = this.db.prepare(
      `INSERT INTO model_runs (run_id, model, tuned_at_percent, run_at_percent, mechanism, median_ms, p99_ms, device_name, simulated, timestamp)
       VALUES (@run_id, @model, @tuned_at_percent, @run_at_percent, @mechanism, @median_ms, @p99_ms, @device_name, @simulated, @timestamp)
       ON CONFLICT (run_id, model, tuned_at_percent, run_at_percent) DO UPDATE SET
         mechanism = excluded.mechanism, median_ms = excluded.median_ms, p99_ms = excluded.p99_ms,
         device_name = excluded.device_name, simulated = excluded.simulated, timestamp = excluded.timestamp`,
    );
    const addAll = this.db.transaction((batch: readonly ModelRunRecord[]) => {
      for (const r of batch) {
        if (!(Number.isFinite(r.medianMs) && r.medianMs > 0 && Number.isFinite(r.p99Ms))) {
          throw new SlicetuneError(
            'RECORD_STORE',
            `model run of ${r.model} tuned at ${r.tunedAtPercent}% run at ${r.runAtPercent}% has no finite latency (median ${r.medianMs} ms)`,
          );
        }
        insert.run({
          run_id: r.runId,
          model: r.model,
          tuned_at_percent: r.tunedAtPercent,
          run_at_percent: r.runAtPercent,
          mechanism: r.mechanism,
          median_ms: r.medianMs,
          p99_ms: r.p99Ms,
          device_name: r.deviceName,
          simulated: r.simulated ? 1 : 0,
          timestamp: r.timestamp,
        });
      }
    });
    try {
      addAll.immediate(runs);
    } catch (e) {
      if (e instanceof SlicetuneError) throw e;
      throw new SlicetuneError(
        'RECORD_STORE',
        `adding ${runs.length} model runs to ${this.path} failed, none was added: ${messageOf(e)}`,
        { cause: e },
      );
    }
  }

  /** Model runs matching the filter, oldest first. */
  query(filter: ModelRunFilter = {}): ModelRunRecord[] {
    const { sql, params } = whereEquals({ runId: 'run_id', model: 'model' }, filter);
    const rows = this.db
      .prepare(`SELECT * FROM model_runs${sql} ORDER BY timestamp, id`)
      .all(params) as ModelRunRow[];
    return rows.map((r) => ({
      runId: r.run_id,
      model: r.model,
      tunedAtPercent: r.tuned_at_percent,
      runAtPercent: r.run_at_percent,
      mechanism: r.mechanism,
      medianMs: r.median_ms,
      p99Ms: r.p99_ms,
      deviceName: r.device_name,
      simulated: r.simulated === 1,
      timestamp: r.timestamp,
    }));
  }

  /** The run id of the newest model run (of `model`, when given); undefined when there is none. */
  latestRunId(model?: string): string | undefined {
    const sql = `SELECT run_id FROM model_runs${model === undefined ? '' : ' WHERE model = ?'} ORDER BY timestamp DESC, id DESC LIMIT 1`;
    const statement = this.db.prepare(sql).pluck();
    return (model === undefined ? statement.get() : statement.get(model)) as string | undefined;
  }

  close(): void {
    this.db.close();
  }
}
