/** Opening a store file: pragmas, the format-version check, and the schema. */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SlicetuneError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { SCHEMA_DDL } from './ddl.js';
import { RECORD_FORMAT_VERSION } from './types.js';

/** Wait this long for another process's write lock (several tuning clients may share one store). */
const BUSY_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  /** Refuse to create the file (read-only commands: a typo must not make an empty store). */
  mustExist?: boolean;
}

/** Opens (or creates) a store file in WAL mode, refusing a newer format or a foreign SQLite file. */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const inMemory = path === ':memory:';
  if (options.mustExist && !inMemory && !existsSync(path)) {
    throw new SlicetuneError(
      'NOT_FOUND',
      `record store ${path} does not exist (give it with --db or SLICETUNE_DB)`,
    );
  }
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (e) {
    throw new SlicetuneError('RECORD_STORE', `cannot open record store ${path}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkFormat(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.transaction(() => {
      db.exec(SCHEMA_DDL);
      db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('format_version', ?)`).run(
        String(RECORD_FORMAT_VERSION),
      );
    }).immediate();
  } catch (e) {
    db.close();
    if (e instanceof SlicetuneError) throw e;
    throw new SlicetuneError('RECORD_STORE', `cannot open record store ${path}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  return db;
}

/** Refuses a store written by a newer slicetune, and a SQLite file that is not a record store. */
function checkFormat(db: Database.Database, path: string): void {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
  if (tables.length === 0) return;
  if (!tables.includes('meta')) {
    throw new SlicetuneError(
      'RECORD_STORE',
      `${path} is a SQLite file but not a slicetune record store (no meta table)`,
    );
  }
  const value = db.prepare(`SELECT value FROM meta WHERE key = 'format_version'`).pluck().get() as
    | string
    | undefined;
  const version = Number(value);
  if (value === undefined || !Number.isInteger(version)) {
    throw new SlicetuneError(
      'RECORD_STORE',
      `record store ${path} has no valid format version (found ${value})`,
    );
  }
  if (version > RECORD_FORMAT_VERSION) {
    throw new SlicetuneError(
      'RECORD_STORE',
      `record store ${path} has record format ${version}, newer than format ${RECORD_FORMAT_VERSION} that slicetune ${VERSION} reads; upgrade slicetune`,
    );
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
