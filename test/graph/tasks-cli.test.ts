import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/tasks.js';
import { exportOnnx } from '../../src/graph/onnx/export.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { runCommand } from '../helpers/cli.js';
import { smallCnn } from './helpers.js';

function runCli(...args: string[]): Promise<string> {
  return runCommand(register, ['tasks', ...args]);
}

describe('slicetune tasks', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints the tasks of a zoo model as JSON with totals', async () => {
    const data = JSON.parse(await runCli('resnet18', '--json'));
    expect(data.model).toBe('resnet18');
    expect(data.tasks).toHaveLength(16);
    const weights = data.tasks.reduce((a: number, t: { weight: number }) => a + t.weight, 0);
    expect(data.totals).toMatchObject({ tasks: 16, tunableNodes: weights });
    // ResNet-18 is 1.8 GMACs: about 3.6 GFLOP in its convs and its classifier.
    expect(data.totals.gflops).toBeGreaterThan(3.5);
    expect(data.totals.gflops).toBeLessThan(3.8);
    expect(data.untunedOps).toEqual({ MaxPool: 1, GlobalAveragePool: 1, Flatten: 1 });
    const first = data.tasks[0];
    expect(first.shape).toContain('r=7');
    expect(first.key).toContain('|');
  });

  it('renders a table for an ONNX file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slicetune-cli-'));
    const path = join(dir, 'small.onnx');
    writeFileSync(path, exportOnnx(smallCnn()));
    const text = await runCli(path);
    expect(text).toContain('model small_cnn: 4 tasks, 4 tunable nodes');
    expect(text).toMatch(/conv2d\s+n=1,c=3,h=16,w=16,k=8/);
    expect(text).toContain('not tuned (fixed kernels): MaxPool x1');
  });

  it('fails with a named error for an unknown model', async () => {
    const err = await runCli('nosuchnet').catch((e: unknown) => e);
    expect(isSlicetuneError(err, 'NOT_FOUND')).toBe(true);
    expect(String((err as Error).message)).toContain('resnet18');
  });
});
