/** The `runs` table: when each tuning run started and ended, its options, and how it ended. */
import type Database from 'better-sqlite3';
import { SlicetuneError } from '../util/errors.js';

export type RunStatus = 'running' | 'finished' | 'failed' | 'stopped';

export interface RunInfo {
  runId: string;
  /** ms since epoch. */
  started: number;
  finished: number | null;
  options: unknown;
  /** `running` after a crash too: nothing marks a killed run as ended. */
  status: RunStatus;
  /** Records the run has in the store. */
  records: number;
}

interface RunRow {
  run_id: string;
  started: number;
  finished: number | null;
  options: string;
  status: RunStatus;
  records: number;
}

export class RunLog {
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {}

  /** Marks a run as running; a run id seen before (a resumed run) keeps its start time. */
  start(runId: string, options: unknown, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO runs (run_id, started, finished, options, status) VALUES (?, ?, NULL, ?, 'running')
         ON CONFLICT (run_id) DO UPDATE SET finished = NULL, options = excluded.options, status = 'running'`,
      )
      .run(runId, now, JSON.stringify(options ?? {}));
  }

  finish(runId: string, status: Exclude<RunStatus, 'running'>, now = Date.now()): void {
    const changes = this.db
      .prepare(`UPDATE runs SET finished = ?, status = ? WHERE run_id = ?`)
      .run(now, status, runId).changes;
    if (changes === 0) {
      throw new SlicetuneError('NOT_FOUND', `run ${runId} was never started in record store ${this.path}`);
    }
  }

  list(): RunInfo[] {
    const rows = this.db
      .prepare(
        `SELECT runs.*, (SELECT COUNT(*) FROM records WHERE records.run_id = runs.run_id) AS records
         FROM runs ORDER BY started, run_id`,
      )
      .all() as RunRow[];
    return rows.map((r) => ({
      runId: r.run_id,
      started: r.started,
      finished: r.finished,
      options: JSON.parse(r.options) as unknown,
      status: r.status,
      records: r.records,
    }));
  }
}
