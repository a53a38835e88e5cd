import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/tune.js';
import { RecordStore } from '../../src/records/store.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { runCommand } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'slicetune-tune-cli-'));

describe('slicetune tune --time-limit', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stops a run whose trial budget would take far longer, and records what it measured', async () => {
    const db = join(dir, 'limited.db');
    const args = ['resnet18', '--device', 'sim', '--input-size', '32', '--share', '25'];
    const out = await runCommand(
      register,
      ['tune', ...args, '--trials', '100000', '--time-limit', '4', '--db', db, '--json'],
      { silenceStderr: true },
    );
    const result = JSON.parse(out);
    expect(result.stopped).toBe(true);
    expect(result.trials).toBeLessThan(result.tasks.length * 100000);
    const store = RecordStore.open(db, { mustExist: true });
    try {
      expect(store.query({}).length).toBe(result.trials);
    } finally {
      store.close();
    }
  }, 60_000);

  it('refuses a time limit that is not a positive integer, naming the option', async () => {
    const error = await tuneError('--time-limit', '0');
    expect(isSlicetuneError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/--time-limit/);
  });

  it('refuses an unknown measurement protocol, naming the option and the choices', async () => {
    const error = await tuneError('--measure', 'slow');
    expect(String((error as Error).message)).toMatch(/--measure.*'slow'.*quick, autotvm/s);
  });
});

/** What `slicetune tune resnet18 --device sim <extra>` throws (its option checks run first). */
function tuneError(...extra: string[]): Promise<unknown> {
  return runCommand(register, ['tune', 'resnet18', '--device', 'sim', ...extra]).catch((e: unknown) => e);
}
