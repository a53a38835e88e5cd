import { describe, expect, it } from 'vitest';
import { RESNET18_WORKLOADS } from '../../src/ops/index.js';
import { makeStrategy, STRATEGY_NAMES, type StrategyName } from '../../src/search/strategies/index.js';
import { tune } from '../../src/search/tune.js';
import type { Knob } from '../../src/space/types.js';
import { narrowedSimTask } from './sim-measure.js';

/** layer4's 3x3 conv with vthreads off, small register tiles and fewer choices: about 2k configs. */
const narrow = (k: Knob): Knob => {
  if (k.kind !== 'split') {
    if (k.kind === 'choice' && k.name === 'auto_unroll_max_step') return { ...k, options: [0, 512] };
    if (k.kind === 'choice' && k.name === 'split_rc') return { ...k, options: [1, 4] };
    return k;
  }
  if (k.parts === 4) return { ...k, maxFactors: [null, 1, null, 4] };
  if (k.name === 'tile_ry' || k.name === 'tile_rx') return { ...k, maxFactors: [1, null] };
  if (k.name === 'tile_rc') return { ...k, maxFactors: [null, 16] };
  return k;
};

/** Share of the space each strategy may measure: grid walks in a fixed order, so it gets all. */
const BUDGET_SHARE: Record<StrategyName, number> = { grid: 1, random: 0.5, ga: 0.25, model: 0.25 };

describe('strategies on a small simulated conv2d space', () => {
  const layer = RESNET18_WORKLOADS.find((m) => m.name === 'layer4.1.conv1')!;
  const task = narrowedSimTask(layer.workload, 'conv2d_direct', 100, narrow);
  const all = [...task.space.enumerate()];
  const optimum = Math.min(...all.map(task.timeOf));

  it('is small enough to enumerate and has a narrow optimum', () => {
    expect(all.length).toBeLessThan(5000);
    const near = all.filter((c) => task.timeOf(c) <= optimum * 1.1).length;
    expect(near / all.length).toBeLessThan(0.02);
  });

  for (const name of STRATEGY_NAMES) {
    it(`${name} comes within 10% of the optimum found by enumeration`, async () => {
      const result = await tune({
        space: task.space,
        strategy: makeStrategy(name, { seed: 7, batchSize: 16 }),
        measure: task.measure,
        budget: { trials: Math.ceil(all.length * BUDGET_SHARE[name]) },
        batchSize: 16,
        seed: 7,
      });
      expect(task.timeOf(result.best!.config)).toBeLessThanOrEqual(optimum * 1.1);
    });
  }
});
