import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetimeStore } from '../../src/records/retimes.js';
import { RecordStore } from '../../src/records/store.js';
import { RECORD_FORMAT_VERSION } from '../../src/records/types.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { makeRecord, makeRecords } from './helpers.js';

let store: RecordStore;
beforeEach(() => {
  store = RecordStore.open(':memory:');
});
afterEach(() => store.close());

const quarter = { mechanism: 'green', sms: 33, percent: 25 } as const;

describe('RecordStore add and query', () => {
  it('stores records and gives them back unchanged, failures included', () => {
    const records = [
      ...makeRecords(3, { percent: 25, sms: 33 }),
      makeRecord({ index: 7, percent: 25, sms: 33, failure: 'resources' }),
    ];
    expect(store.add(records)).toBe(4);
    expect(store.query()).toEqual(records);
    expect(store.count({ okOnly: true })).toBe(3);
  });

  it('filters by task, template, share, mechanism, device, run, and limits', () => {
    store.add([
      ...makeRecords(3, { percent: 25, sms: 33 }),
      ...makeRecords(2, { percent: 100, mechanism: 'exclusive', runId: 'run-b' }),
      ...makeRecords(2, { template: 'conv2d_im2col', device: 'NVIDIA H100 80GB HBM3' }),
    ]);
    expect(store.count({ percent: 25 })).toBe(3);
    expect(store.count({ mechanism: 'exclusive' })).toBe(2);
    expect(store.count({ runId: 'run-b' })).toBe(2);
    expect(store.count({ template: 'conv2d_im2col' })).toBe(2);
    expect(store.count({ deviceName: 'NVIDIA H100 80GB HBM3' })).toBe(2);
    expect(store.count({ taskKey: makeRecord().taskKey })).toBe(5);
    expect(store.query({ limit: 4 })).toHaveLength(4);
    expect(store.count({ limit: 4 })).toBe(7);
  });

  it('orders records by timestamp, then insertion', () => {
    store.add([makeRecord({ index: 1, timestamp: 30 }), makeRecord({ index: 2, timestamp: 10 })]);
    store.add([makeRecord({ index: 3, timestamp: 10 })]);
    expect(store.query().map((r) => r.configKey)).toEqual(['cfg2', 'cfg3', 'cfg1']);
  });

  it('never stores a measurement twice: duplicates in a batch or across batches are skipped', () => {
    const records = makeRecords(3, { percent: 25, sms: 33 });
    expect(store.add([...records, records[0]!])).toBe(3);
    expect(store.add(records)).toBe(0);
    // Same config on another slice or device is another measurement.
    expect(store.add([makeRecord({ index: 0, percent: 50, sms: 66 })])).toBe(1);
    expect(store.add([makeRecord({ index: 0, percent: 25, sms: 33, device: 'other' })])).toBe(1);
    expect(store.count()).toBe(5);
  });

  it('adds a batch all or nothing: one invalid record adds none of it', () => {
    const bad = { ...makeRecord({ index: 2 }), slice: { mechanism: 'green', sms: 0, percent: 25 } } as const;
    const batch = [makeRecord({ index: 0 }), makeRecord({ index: 1 }), bad, makeRecord({ index: 3 })];
    let error: unknown;
    try {
      store.add(batch);
    } catch (e) {
      error = e;
    }
    expect(isSlicetuneError(error, 'RECORD_STORE')).toBe(true);
    expect((error as Error).message).toMatch(/record 2 of 4 .*slice\.sms/);
    expect(store.count()).toBe(0);
  });

  it('tells a resumed run what was measured on its slice and device', () => {
    store.add([
      ...makeRecords(3, { percent: 25, sms: 33 }),
      makeRecord({ index: 5, failure: 'timeout', percent: 25, sms: 33 }),
    ]);
    store.add([makeRecord({ index: 9, percent: 50, sms: 66 })]);
    const device = makeRecord().provenance.deviceName;
    const task = makeRecord().taskKey;
    expect(store.measuredConfigKeys(task, quarter, device)).toEqual(
      new Set(['cfg0', 'cfg1', 'cfg2', 'cfg5']),
    );
    expect(store.has(task, 'cfg5', quarter, device)).toBe(true);
    expect(store.has(task, 'cfg9', quarter, device)).toBe(false);
    expect(store.has(task, 'cfg0', quarter, 'another device')).toBe(false);
  });

  it('gives the k fastest successful records of a task on a slice', () => {
    store.add([
      makeRecord({ index: 0, medianMs: 3, percent: 25, sms: 33 }),
      makeRecord({ index: 1, medianMs: 1, percent: 25, sms: 33 }),
      makeRecord({ index: 2, failure: 'wrong', percent: 25, sms: 33 }),
      makeRecord({ index: 3, medianMs: 2, percent: 25, sms: 33 }),
      makeRecord({ index: 4, medianMs: 0.5, percent: 100, sms: 132 }),
    ]);
    expect(store.topK(makeRecord().taskKey, quarter, 2).map((r) => r.configKey)).toEqual(['cfg1', 'cfg3']);
  });
});

describe('RecordStore best', () => {
  const workload = makeRecord().workloadKey;

  it('answers with the fastest successful record at a tuned share, across templates', () => {
    store.add([
      makeRecord({ index: 0, percent: 25, medianMs: 2 }),
      makeRecord({ index: 1, percent: 25, medianMs: 1.5, template: 'conv2d_im2col' }),
      makeRecord({ index: 2, percent: 25, failure: 'fault' }),
      makeRecord({ index: 3, percent: 100, medianMs: 0.5 }),
    ]);
    const answer = store.best(workload, { percent: 25 });
    expect(answer?.exact).toBe(true);
    expect(answer?.tunedPercent).toBe(25);
    expect(answer?.record.configKey).toBe('cfg1');
    expect(answer?.record.template).toBe('conv2d_im2col');
  });

  it('ranks a config re-timed alone by its alone time, the others by their recorded median', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slicetune-best-retimes-'));
    const file = RecordStore.open(join(dir, 'records.db'));
    try {
      const fast = makeRecord({ index: 0, percent: 25, medianMs: 1.0 });
      const next = makeRecord({ index: 1, percent: 25, medianMs: 1.1 });
      file.add([fast, next]);
      expect(file.best(workload, { percent: 25 })?.record.configKey).toBe('cfg0');
      // Co-located, cfg0 looked fastest; alone it is slower than cfg1's recorded time.
      const retimes = RetimeStore.open(file.path);
      retimes.add([
        {
          runId: 'r1',
          taskKey: fast.taskKey,
          configKey: fast.configKey,
          slice: fast.slice,
          deviceName: fast.provenance.deviceName,
          kind: 'top',
          colocatedMs: 1.0,
          alone: {
            ok: true,
            medianMs: 1.3,
            timesMs: [1.3],
            compileMs: 1,
            checked: true,
            maxRelError: 0,
            binaryHash: 'b0',
            registers: 32,
          },
          timestamp: 1,
        },
      ]);
      retimes.close();
      const answer = file.best(workload, { percent: 25 });
      expect(answer?.record.configKey).toBe('cfg1');
      expect(answer?.rankMs).toBeCloseTo(1.1);
    } finally {
      file.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the nearest tuned share when a share was never tuned, and the note says which', () => {
    store.add([
      makeRecord({ index: 0, percent: 25, medianMs: 2 }),
      makeRecord({ index: 1, percent: 100, medianMs: 0.5 }),
    ]);
    const answer = store.best(workload, { percent: 75 });
    expect(answer?.exact).toBe(false);
    expect(answer?.tunedPercent).toBe(100);
    expect(answer?.record.configKey).toBe('cfg1');
    expect(answer?.note).toContain('75% was never tuned');
    expect(answer?.note).toContain('tuned at 100%');
    expect(store.best(workload, { percent: 30 })?.tunedPercent).toBe(25);
  });

  it('breaks a tie between two tuned shares toward the smaller share', () => {
    store.add([makeRecord({ index: 0, percent: 25 }), makeRecord({ index: 1, percent: 75 })]);
    const answer = store.best(workload, { percent: 50 });
    expect(answer?.tunedPercent).toBe(25);
    expect(answer?.note).toMatch(/smaller share/);
  });

  it('ignores shares with only failures, and respects mechanism and device', () => {
    store.add([
      makeRecord({ index: 0, percent: 50, failure: 'compile' }),
      makeRecord({ index: 1, percent: 100, mechanism: 'exclusive' }),
      makeRecord({ index: 2, percent: 25, mechanism: 'mps', device: 'NVIDIA H100 80GB HBM3' }),
    ]);
    expect(store.tunedShares(workload)).toEqual([25, 100]);
    expect(store.best(workload, { percent: 50, mechanism: 'exclusive' })?.tunedPercent).toBe(100);
    expect(store.best(workload, { percent: 50, deviceName: 'NVIDIA H100 80GB HBM3' })?.record.configKey).toBe(
      'cfg2',
    );
    expect(store.best(workload, { percent: 50, mechanism: 'timeslice' })).toBeNull();
    expect(store.best('never-seen', { percent: 50 })).toBeNull();
  });
});

describe('RecordStore runs', () => {
  it('records runs with their options, status and record counts', () => {
    store.startRun('run-a', { strategy: 'random', trials: 10 });
    store.add(makeRecords(2, { runId: 'run-a' }));
    expect(store.listRuns()).toMatchObject([
      { runId: 'run-a', status: 'running', finished: null, records: 2 },
    ]);
    store.finishRun('run-a', 'stopped');
    const [run] = store.listRuns();
    expect(run?.status).toBe('stopped');
    expect(run?.options).toEqual({ strategy: 'random', trials: 10 });
    expect(run?.finished).toBeTypeOf('number');
    expect(() => store.finishRun('run-x')).toThrow(/run-x was never started/);
  });
});

describe('RecordStore files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slicetune-records-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps records across close and reopen, in WAL mode', () => {
    const path = join(dir, 'a.db');
    const file = RecordStore.open(path);
    file.add(makeRecords(3));
    file.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const again = RecordStore.open(path, { mustExist: true });
    expect(again.count()).toBe(3);
    expect(again.integrityProblems()).toEqual([]);
    again.close();
  });

  it('refuses a store written in a newer record format, naming the file and both versions', () => {
    const path = join(dir, 'newer.db');
    RecordStore.open(path).close();
    const raw = new Database(path);
    raw
      .prepare(`UPDATE meta SET value = ? WHERE key = 'format_version'`)
      .run(String(RECORD_FORMAT_VERSION + 1));
    raw.close();
    expect(() => RecordStore.open(path)).toThrow(
      expect.objectContaining({
        code: 'RECORD_STORE',
        message: expect.stringMatching(
          new RegExp(`${path}.*format ${RECORD_FORMAT_VERSION + 1}.*format ${RECORD_FORMAT_VERSION}`),
        ),
      }),
    );
  });

  it('refuses files that are not record stores, and a missing file when it must exist', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a database, just some text that is long enough to matter\n'.repeat(20));
    expect(() => RecordStore.open(text)).toThrow(expect.objectContaining({ code: 'RECORD_STORE' }));
    const foreign = join(dir, 'foreign.db');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE things (x)');
    raw.close();
    expect(() => RecordStore.open(foreign)).toThrow(/not a slicetune record store/);
    expect(() => RecordStore.open(join(dir, 'missing.db'), { mustExist: true })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});
