import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportJsonl, importJsonl } from '../../src/records/jsonl.js';
import { RecordStore } from '../../src/records/store.js';
import { makeRecord, makeRecords } from './helpers.js';

let dir: string;
const opened: RecordStore[] = [];
function open(): RecordStore {
  const store = RecordStore.open(':memory:');
  opened.push(store);
  return store;
}
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slicetune-jsonl-'));
});
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  rmSync(dir, { recursive: true, force: true });
});

const mixed = () => [
  ...makeRecords(4, { percent: 25, sms: 33 }),
  makeRecord({ index: 8, failure: 'compile', percent: 25, sms: 33 }),
  ...makeRecords(3, { percent: 100, mechanism: 'exclusive', runId: 'run-b' }),
];

describe('JSON lines export and import', () => {
  it('round-trips a store into a fresh one, record for record', async () => {
    const source = open();
    source.add(mixed());
    const file = join(dir, 'all.jsonl');
    expect(await exportJsonl(source, {}, file)).toBe(8);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(8);
    expect(existsSync(`${file}.partial`)).toBe(false);

    const target = open();
    expect(importJsonl(target, file)).toEqual({ read: 8, inserted: 8, duplicates: 0 });
    expect(target.query()).toEqual(source.query());
    expect(importJsonl(target, file)).toEqual({ read: 8, inserted: 0, duplicates: 8 });
  });

  it('exports only what the filter selects, to a stream', async () => {
    const source = open();
    source.add(mixed());
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    expect(await exportJsonl(source, { runId: 'run-b' }, out)).toBe(3);
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { runId: string }).runId)).toEqual(['run-b', 'run-b', 'run-b']);
  });

  it('rejects a file with a bad line, naming the file and line, and imports nothing', () => {
    const good = mixed().map((r) => JSON.stringify(r));
    const badRecord = {
      ...makeRecord({ index: 20 }),
      result: { ok: false, kind: 'exploded', message: '', compileMs: 1 },
    };
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, [...good.slice(0, 3), '', JSON.stringify(badRecord), ...good.slice(3)].join('\n'));
    const target = open();
    expect(() => importJsonl(target, file)).toThrow(
      expect.objectContaining({ code: 'RECORD_STORE', message: expect.stringContaining(`${file}:5:`) }),
    );
    expect(() => importJsonl(target, file)).toThrow(/result\.kind/);
    expect(target.count()).toBe(0);

    const notJson = join(dir, 'truncated.jsonl');
    writeFileSync(notJson, `${good[0]}\n${good[1]!.slice(0, 40)}\n`);
    expect(() => importJsonl(target, notJson)).toThrow(new RegExp(`${notJson}:2: not JSON`));
    expect(target.count()).toBe(0);
  });

  it('refuses records of a newer format and a missing file', () => {
    const file = join(dir, 'newer.jsonl');
    writeFileSync(file, `${JSON.stringify({ ...makeRecord(), formatVersion: 99 })}\n`);
    expect(() => importJsonl(open(), file)).toThrow(/newer.jsonl:1: .*formatVersion.*newer/);
    expect(() => importJsonl(open(), join(dir, 'nope.jsonl'))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringContaining('nope.jsonl') }),
    );
  });
});
