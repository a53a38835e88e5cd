import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/run.js';
import { RecordStore } from '../../src/records/store.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { runCommand } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'slicetune-run-cli-'));

function runCli(...args: string[]): Promise<string> {
  return runCommand(register, ['run', ...args]);
}

const small = ['--device', 'sim', '--input-size', '32', '--runs', '7', '--warmup', '1'];

describe('slicetune run', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints latency, correctness and kernels as JSON', async () => {
    const db = join(dir, 'empty.db');
    RecordStore.open(db).close();
    const data = JSON.parse(
      await runCli('resnet18', ...small, '--share', '25', '--sharing', 'green', '--db', db, '--json'),
    );
    expect(data.model).toBe('resnet18');
    expect(data.share).toEqual({ percent: 25, mechanism: 'green' });
    expect(data.slice).toMatchObject({ mechanism: 'green', sms: 32, simulated: true });
    expect(Object.keys(data.latency).sort()).toEqual([
      'maxMs',
      'meanMs',
      'medianMs',
      'minMs',
      'p99Ms',
      'runs',
      'warmup',
    ]);
    expect(data.latency.runs).toBe(7);
    expect(data.correctness).toEqual({
      checked: false,
      reason: 'not checked: the simulated GPU computes no values',
    });
    expect(data.kernels).toMatchObject({ tuned: 0, byTunedShare: {}, nearestShare: 0 });
    expect(data.kernels.untuned).toBe(data.kernels.tunableNodes);
    expect(data.kernels.choices[0]).toMatchObject({ tuned: false, tunedPercent: null });
    expect(data.simulatedLabel).toContain('SIMULATED GPU');
    expect(data.memory.usedAfterRunsBytes).toBe(data.memory.usedAfterSetupBytes);
  });

  it('renders a report that labels the simulated GPU and counts untuned nodes', async () => {
    const db = join(dir, 'text.db');
    RecordStore.open(db).close();
    const text = await runCli('mobilenet_v2', ...small, '--db', db);
    expect(text).toContain('[SIMULATED GPU');
    expect(text).toMatch(/slice: exclusive 100% -> 132 of 132 SMs/);
    expect(text).toMatch(/median \d+\.\d+ ms, p99 \d+\.\d+ ms/);
    expect(text).toContain('correctness: not checked: the simulated GPU computes no values');
    expect(text).toMatch(/kernels: (\d+) tunable nodes, 0 tuned, \1 untuned/);
  });

  it('runs untuned, with a note, when the default store was never created', async () => {
    const before = process.env.SLICETUNE_DB;
    process.env.SLICETUNE_DB = join(dir, 'never-created.db');
    try {
      const data = JSON.parse(await runCli('resnet18', ...small, '--json'));
      expect(data.notes).toContain(
        `no record store at ${join(dir, 'never-created.db')}: every tunable node runs untuned`,
      );
      expect(data.kernels.choices[0].note).toContain('no record store');
    } finally {
      if (before === undefined) delete process.env.SLICETUNE_DB;
      else process.env.SLICETUNE_DB = before;
    }
  });

  it('fails with a named error for a store given but missing, or exclusive at a share', async () => {
    const missing = await runCli('resnet18', ...small, '--db', join(dir, 'nope.db')).catch((e: unknown) => e);
    expect(isSlicetuneError(missing, 'NOT_FOUND')).toBe(true);
    const exclusive = await runCli('resnet18', ...small, '--share', '25', '--sharing', 'exclusive').catch(
      (e: unknown) => e,
    );
    expect(isSlicetuneError(exclusive, 'BAD_OPTION')).toBe(true);
  });
});
