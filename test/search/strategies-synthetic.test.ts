import { describe, expect, it } from 'vitest';
import { makeStrategy, STRATEGY_NAMES } from '../../src/search/strategies/index.js';
import { makeModel } from '../../src/search/strategies/model.js';
import { tune } from '../../src/search/tune.js';
import type { Measurer } from '../../src/search/types.js';
import { syntheticCost, syntheticResult, syntheticSpace } from './synthetic-space.js';

const space = syntheticSpace();
const optimum = Math.min(...[...space.enumerate()].map((c) => syntheticCost(c)));
const measure: Measurer = async (configs) =>
  configs.map((config) => ({ config, result: syntheticResult(config) }));

describe('strategies on a small synthetic space', () => {
  for (const name of STRATEGY_NAMES) {
    it(`${name} comes within 10% of the optimum`, async () => {
      const size = space.validSize().count;
      // Grid walks the space in a fixed order, so it gets all of it; the others a third.
      const trials = name === 'grid' ? size : Math.floor(size / 3);
      const result = await tune({
        space,
        strategy: makeStrategy(name, { seed: 11, batchSize: 16 }),
        measure,
        budget: { trials },
        batchSize: 16,
        seed: 11,
      });
      expect(result.best!.cost).toBeLessThanOrEqual(optimum * 1.1);
    });
  }

  it('the model strategy also gets there exploring by simulated annealing', async () => {
    const result = await tune({
      space,
      strategy: makeModel({ seed: 5, batchSize: 16, explorer: 'annealing' }),
      measure,
      budget: { trials: Math.floor(space.validSize().count / 3) },
      batchSize: 16,
      seed: 5,
    });
    expect(result.best!.cost).toBeLessThanOrEqual(optimum * 1.1);
  });

  it('every strategy proposes distinct, valid, unmeasured configs', async () => {
    for (const name of STRATEGY_NAMES) {
      const seen = new Set<string>();
      const checking: Measurer = async (configs) => {
        for (const c of configs) {
          expect(space.isValid(c)).toBe(true);
          expect(seen.has(space.key(c))).toBe(false);
          seen.add(space.key(c));
        }
        return measure(configs);
      };
      const strategy = makeStrategy(name, { seed: 3, batchSize: 32 });
      await tune({ space, strategy, measure: checking, budget: { trials: 160 }, batchSize: 32, seed: 3 });
      expect(seen.size).toBe(160);
    }
  });
});
