import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/records.js';
import { RecordStore } from '../../src/records/store.js';
import type { TuningRecord } from '../../src/records/types.js';
import { runCommand } from '../helpers/cli.js';
import { makeRecord, makeRecords } from './helpers.js';

let dir: string;
let db: string;
const workload = makeRecord().workloadKey;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slicetune-cli-'));
  db = join(dir, 'tune.db');
  const store = RecordStore.open(db);
  store.startRun('run-a', { strategy: 'random' });
  store.add([
    ...makeRecords(3, { percent: 25, sms: 33 }),
    makeRecord({ index: 5, percent: 25, sms: 33, failure: 'timeout' }),
    makeRecord({ index: 6, percent: 100, sms: 132, medianMs: 0.25, mechanism: 'exclusive' }),
  ]);
  store.close();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `slicetune records ...args` and returns what it printed on stdout. */
function cli(...args: string[]): Promise<string> {
  return runCommand(register, ['records', ...args]);
}

describe('slicetune records', () => {
  it('lists records as a table that marks simulated devices, or as JSON, with filters', async () => {
    const text = await cli('list', '--db', db, '--share', '25');
    expect(text).toContain('cfg2');
    expect(text).toContain('timeout: timeout failure of cfg5');
    expect(text).not.toContain('cfg6');
    expect(text).toContain('[simulated]');
    expect(text).toMatch(/4 records/);
    const json = JSON.parse(
      await cli('list', '--db', db, '--ok', '--mechanism', 'green', '--json'),
    ) as TuningRecord[];
    expect(json.map((r) => r.configKey)).toEqual(['cfg0', 'cfg1', 'cfg2']);
    const limited = JSON.parse(await cli('list', '--db', db, '--limit', '2', '--json')) as TuningRecord[];
    expect(limited).toHaveLength(2);
  });

  it('prints the best record, and the note when the share was never tuned', async () => {
    const exact = await cli('best', workload, '--share', '25', '--db', db);
    expect(exact).toContain('cfg0');
    expect(exact).not.toContain('note:');
    const nearest = await cli('best', workload, '--share', '70', '--db', db);
    expect(nearest).toContain('cfg6');
    expect(nearest).toMatch(/note: 70% was never tuned .*100%/);
    const json = JSON.parse(await cli('best', workload, '--share', '50', '--db', db, '--json'));
    expect(json).toMatchObject({ exact: false, tunedPercent: 25, record: { configKey: 'cfg0' } });
    await expect(cli('best', 'unknown-workload', '--share', '50', '--db', db)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('exports to a file and imports it into another store, reporting duplicates', async () => {
    const file = join(dir, 'out.jsonl');
    expect(JSON.parse(await cli('export', '--db', db, '--out', file, '--json'))).toEqual({
      exported: 5,
      file,
    });
    const other = join(dir, 'other.db');
    const first = JSON.parse(await cli('import', file, '--db', other, '--json'));
    expect(first).toEqual({ read: 5, inserted: 5, duplicates: 0 });
    expect(await cli('import', file, '--db', other)).toContain('0 added, 5 already in');
    expect(await cli('list', '--db', other, '--json')).toBe(await cli('list', '--db', db, '--json'));
    const stdoutLines = (await cli('export', '--db', db, '--run', 'run-a', '--ok')).trimEnd().split('\n');
    expect(stdoutLines).toHaveLength(4);
  });

  it('uses $SLICETUNE_DB when --db is not given, and lists runs', async () => {
    vi.stubEnv('SLICETUNE_DB', db);
    const runs = JSON.parse(await cli('runs', '--json'));
    expect(runs).toMatchObject([{ runId: 'run-a', status: 'running', records: 5 }]);
  });

  it('fails with a clear error on a missing store, a missing or bad import file, a bad share', async () => {
    const missing = join(dir, 'typo.db');
    await expect(cli('list', '--db', missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(missing)).toBe(false);
    await expect(cli('import', join(dir, 'none.jsonl'), '--db', db)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(makeRecord({ index: 40 }))}\n{"formatVersion": 1}\n`);
    await expect(cli('import', bad, '--db', db)).rejects.toMatchObject({
      code: 'RECORD_STORE',
      message: expect.stringContaining(`${bad}:2:`),
    });
    expect(JSON.parse(await cli('list', '--db', db, '--json'))).toHaveLength(5);
    await expect(cli('best', workload, '--share', '0', '--db', db)).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
  });
});
