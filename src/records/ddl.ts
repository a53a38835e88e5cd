/**
 * The record store's schema, in one place. The store runs it on every open (idempotent), and the
 * crash test's child process reaches it through the store itself, so the DDL is never copied.
 * It lives in a .ts module rather than a .sql file because the build copies only .ts -> .js.
 */

/** The unique key of a measurement: never stored twice (a resumed run relies on it). */
export const RECORD_UNIQUE_COLUMNS = ['task_key', 'config_key', 'mechanism', 'sms', 'device_name'] as const;

export const SCHEMA_DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS records (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  format_version    INTEGER NOT NULL,
  task_key          TEXT    NOT NULL,
  workload_key      TEXT    NOT NULL,
  template          TEXT    NOT NULL,
  config_key        TEXT    NOT NULL,
  config            TEXT    NOT NULL,                 -- JSON, keys sorted
  mechanism         TEXT    NOT NULL CHECK (mechanism IN ('exclusive', 'green', 'mps', 'timeslice')),
  sms               INTEGER NOT NULL CHECK (sms > 0),
  percent           REAL    NOT NULL CHECK (percent > 0 AND percent <= 100),
  ok                INTEGER NOT NULL CHECK (ok IN (0, 1)),
  failure_kind      TEXT    CHECK ((ok = 1) = (failure_kind IS NULL)),
  median_ms         REAL    CHECK ((ok = 1) = (median_ms IS NOT NULL)),
  timings           TEXT,                             -- JSON array of ms, successes only
  compile_ms        REAL    NOT NULL,
  message           TEXT,                             -- failures only
  checked           INTEGER,
  max_rel_error     REAL,
  binary_hash       TEXT,
  registers         INTEGER,
  device_name       TEXT    NOT NULL,
  arch              TEXT    NOT NULL,
  driver            TEXT    NOT NULL,
  cuda              TEXT    NOT NULL,
  slicetune_version TEXT    NOT NULL,
  simulated         INTEGER NOT NULL CHECK (simulated IN (0, 1)),
  timestamp         INTEGER NOT NULL,
  run_id            TEXT    NOT NULL,
  UNIQUE (${RECORD_UNIQUE_COLUMNS.join(', ')})
);

CREATE INDEX IF NOT EXISTS records_workload_share ON records (workload_key, percent, ok, median_ms);
CREATE INDEX IF NOT EXISTS records_task_slice ON records (task_key, mechanism, sms, ok, median_ms);
CREATE INDEX IF NOT EXISTS records_template ON records (template);
CREATE INDEX IF NOT EXISTS records_run ON records (run_id);
CREATE INDEX IF NOT EXISTS records_time ON records (timestamp, id);

CREATE TABLE IF NOT EXISTS runs (
  run_id   TEXT PRIMARY KEY,
  started  INTEGER NOT NULL,
  finished INTEGER,
  options  TEXT    NOT NULL,                          -- JSON
  status   TEXT    NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'stopped'))
);
`;
