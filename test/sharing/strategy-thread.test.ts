import { describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import { RESNET18_WORKLOADS } from '../../src/ops/index.js';
import type { SearchContext, Trial } from '../../src/search/types.js';
import { threadStrategy } from '../../src/sharing/strategy-thread.js';
import { getTemplate } from '../../src/templates/index.js';
import { Rng } from '../../src/util/rng.js';

const workload = (RESNET18_WORKLOADS.find((w) => w.name === 'layer2.1.conv1') ?? RESNET18_WORKLOADS[1])
  ?.workload as (typeof RESNET18_WORKLOADS)[number]['workload'];
const device = SIM_DEVICE_INFO;
const space = getTemplate('conv2d_igemm').space(workload, device);

/** A history of n random configs with a made-up cost that favours one knob value. */
function contextWith(n: number): SearchContext {
  const rng = new Rng(3);
  const history: Trial[] = [];
  const measuredKeys = new Set<string>();
  while (history.length < n) {
    const config = space.sample(rng);
    const configKey = space.key(config);
    if (measuredKeys.has(configKey)) continue;
    measuredKeys.add(configKey);
    const f = space.features(config);
    history.push({ config, configKey, cost: 1 + Math.abs((f[0] ?? 0) - 2) });
  }
  return { space, rng, history, measuredKeys };
}

describe('threadStrategy', () => {
  it('proposes valid, unmeasured configs from a worker thread, the model trained on the history', async () => {
    const strategy = threadStrategy({
      strategy: 'model',
      options: { seed: 1, batchSize: 8 },
      template: 'conv2d_igemm',
      workload,
      device,
    });
    try {
      const ctx = contextWith(24);
      const first = await strategy.propose(8, ctx);
      // More history, sent incrementally: the worker must still not propose what was measured.
      const more = contextWith(40);
      const second = await strategy.propose(8, more);
      expect(strategy.onThread).toBe(true);
      for (const config of [...first, ...second]) {
        expect(space.isValid(config)).toBe(true);
      }
      expect(first.every((c) => !ctx.measuredKeys.has(space.key(c)))).toBe(true);
      expect(second.every((c) => !more.measuredKeys.has(space.key(c)))).toBe(true);
      expect(first).toHaveLength(8);
    } finally {
      await strategy.close();
    }
  }, 60_000);

  it('goes on in this thread when the worker cannot start', async () => {
    const strategy = threadStrategy({
      strategy: 'model',
      options: { seed: 1, batchSize: 8 },
      template: 'no_such_template',
      workload,
      device,
    });
    try {
      const ctx = contextWith(24);
      const configs = await strategy.propose(8, ctx);
      expect(strategy.onThread).toBe(false);
      expect(configs).toHaveLength(8);
      expect(configs.every((c) => space.isValid(c) && !ctx.measuredKeys.has(space.key(c)))).toBe(true);
    } finally {
      await strategy.close();
    }
  }, 60_000);
});
