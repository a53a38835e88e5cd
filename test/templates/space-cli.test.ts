import { afterEach, describe, expect, it, vi } from 'vitest';
import { register, spaceReport } from '../../src/cli/commands/space.js';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { runCommand } from '../helpers/cli.js';

function run(args: string[]): Promise<string> {
  return runCommand(register, ['space', ...args]);
}

describe('slicetune space', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports the templates, their sizes and default configs as JSON', async () => {
    const out = await run(['dense', 'm=1,n=1000,k=512', '--device', 'sim', '--json']);
    const report = JSON.parse(out);
    expect(report.key).toBe('dense.f32.m1.n1000.k512');
    expect(report.device.simulated).toBe(true);
    expect(report.templates.map((t: { name: string }) => t.name)).toEqual(['dense']);
    const [t] = report.templates;
    expect(t.validSize).toBeGreaterThan(0);
    expect(t.validSize).toBeLessThanOrEqual(t.rawSize);
    expect(t.defaultConfig).toHaveProperty('split_k');
  });

  it('renders a table naming the simulated limits; tensor-core templates only with --tensor-core', async () => {
    const shape = ['n=1,c=64,h=14,w=14,k=64,r=3,s=3,pad=1'];
    const plain = await run(['conv2d', ...shape, '--device', 'sim']);
    expect(plain).toContain('(limits of the simulated H100)');
    expect(plain).toContain('conv2d_direct');
    expect(plain).toContain('conv2d_igemm');
    expect(plain).not.toContain('conv2d_igemm_tf32');
    const tc = await run(['conv2d', ...shape, '--device', 'sim', '--tensor-core']);
    expect(tc).toContain('conv2d_igemm_tf32 [tensor core, TF32]');
  });

  it('accepts the shape split over several words, and lists the depthwise template', async () => {
    const out = await run([
      'depthwise_conv2d',
      'n=1,c=32,h=28,w=28',
      'r=3,s=3,pad=1',
      '--device',
      'sim',
      '--json',
    ]);
    expect(JSON.parse(out).templates.map((t: { name: string }) => t.name)).toContain('depthwise_conv2d');
  });

  it('rejects an unknown operator with UNSUPPORTED_OP', () => {
    try {
      spaceReport('winograd', 'n=1', SIM_DEVICE_INFO, false);
      throw new Error('expected an error');
    } catch (e) {
      expect(isSlicetuneError(e, 'UNSUPPORTED_OP')).toBe(true);
    }
  });
});
