/**
 * Records as JSON lines: one TuningRecord per line. Export streams; import validates every line
 * before adding anything, and adds the whole file in one transaction (a bad line adds nothing).
 */

import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { SlicetuneError } from '../util/errors.js';
import type { RecordFilter } from './query.js';
import { parseTuningRecord } from './schema.js';
import type { RecordStore } from './store.js';
import type { TuningRecord } from './types.js';

export interface ImportSummary {
  /** Records in the file. */
  read: number;
  /** Records that were new to the store. */
  inserted: number;
  /** Records the store already had (or that the file repeats). */
  duplicates: number;
}

/** Lines written per write call when exporting to a file. */
const LINES_PER_WRITE = 512;

/**
 * Writes the matching records, one JSON line each, to a stream or a file; returns how many.
 * A file appears complete or not at all: it is written beside the target and renamed at the end.
 */
export async function exportJsonl(
  store: RecordStore,
  filter: RecordFilter,
  out: Writable | string,
): Promise<number> {
  if (typeof out === 'string') return exportToFile(store, filter, out);
  let written = 0;
  for (const record of store.iterate(filter)) {
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    written++;
  }
  return written;
}

function exportToFile(store: RecordStore, filter: RecordFilter, path: string): number {
  const partial = `${path}.partial`;
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (e) {
    throw new SlicetuneError('RECORD_STORE', `cannot write export file ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let written = 0;
  try {
    let chunk: string[] = [];
    for (const record of store.iterate(filter)) {
      chunk.push(JSON.stringify(record));
      written++;
      if (chunk.length === LINES_PER_WRITE) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
    closeSync(fd);
    renameSync(partial, path);
  } catch (e) {
    rmSync(partial, { force: true });
    throw new SlicetuneError('RECORD_STORE', `export to ${path} failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return written;
}

/** Reads and validates a JSON-lines file, then adds all of it in one transaction. */
export function importJsonl(store: RecordStore, path: string): ImportSummary {
  const records = readJsonl(path);
  const inserted = store.add(records);
  return { read: records.length, inserted, duplicates: records.length - inserted };
}

/** Every record of a JSON-lines file; the first bad line throws, naming the file and line. */
export function readJsonl(path: string): TuningRecord[] {
  if (!existsSync(path)) throw new SlicetuneError('NOT_FOUND', `import file ${path} does not exist`);
  const records: TuningRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${path}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new SlicetuneError(
        'RECORD_STORE',
        `${where}: not JSON (${(e as Error).message}); nothing was imported`,
      );
    }
    const parsed = parseTuningRecord(value);
    if ('error' in parsed) {
      throw new SlicetuneError(
        'RECORD_STORE',
        `${where}: not a TuningRecord (${parsed.error}); nothing was imported`,
      );
    }
    records.push(parsed.record);
  });
  return records;
}
