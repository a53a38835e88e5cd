import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { tune } from '../../src/search/tune.js';
import type { Measurer, Trial } from '../../src/search/types.js';
import type { Config } from '../../src/space/types.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { okResult, syntheticCost, syntheticResult, syntheticSpace } from './synthetic-space.js';

const space = syntheticSpace();

function recordingMeasurer(): { measure: Measurer; measured: string[]; batches: number[] } {
  const measured: string[] = [];
  const batches: number[] = [];
  const measure: Measurer = async (configs) => {
    batches.push(configs.length);
    measured.push(...configs.map((c) => space.key(c)));
    return configs.map((config) => ({ config, result: syntheticResult(config) }));
  };
  return { measure, measured, batches };
}

describe('tune()', () => {
  it('stops at the trial budget, in batches, and reports progress after each', async () => {
    const { measure, measured, batches } = recordingMeasurer();
    const progress: number[] = [];
    const result = await tune({
      space,
      strategy: makeStrategy('random', { seed: 1, batchSize: 8 }),
      measure,
      budget: { trials: 20 },
      batchSize: 8,
      seed: 1,
      onProgress: (p) => progress.push(p.trials),
    });
    expect(result.stopReason).toBe('budget');
    expect(result.trialsUsed).toBe(20);
    expect(batches).toEqual([8, 8, 4]);
    expect(progress).toEqual([8, 16, 20]);
    expect(new Set(measured).size).toBe(20);
    expect(result.best?.cost).toBe(Math.min(...result.trials.map((t) => t.cost)));
  });

  it('resumes without measuring a known config again, and learns from the resumed best', async () => {
    const rng = new Rng(7);
    const resumed: Trial[] = [];
    for (const config of space.enumerate()) {
      if (rng.next() < 0.3)
        resumed.push({ config, configKey: space.key(config), cost: syntheticCost(config) });
    }
    const { measure, measured } = recordingMeasurer();
    const result = await tune({
      space,
      strategy: makeStrategy('ga', { seed: 2, batchSize: 16 }),
      measure,
      budget: { trials: 200 },
      batchSize: 16,
      seed: 2,
      alreadyMeasured: resumed,
    });
    const resumedKeys = new Set(resumed.map((t) => t.configKey));
    expect(measured.filter((k) => resumedKeys.has(k))).toEqual([]);
    expect(new Set(measured).size).toBe(measured.length);
    expect(result.trials.length).toBe(resumed.length + result.trialsUsed);
    const resumedBest = Math.min(...resumed.map((t) => t.cost));
    expect(result.best!.cost).toBeLessThanOrEqual(resumedBest);
  });

  it('counts failures as trials of cost Infinity, by kind', async () => {
    const { measure } = recordingMeasurer();
    const result = await tune({
      space,
      strategy: makeStrategy('grid', { seed: 1, batchSize: 50 }),
      measure,
      budget: { trials: 2000 },
      batchSize: 50,
      seed: 1,
    });
    const failures = result.trials.filter((t) => t.cost === Number.POSITIVE_INFINITY);
    expect(failures.length).toBeGreaterThan(0);
    expect(result.errors.resources).toBe(failures.length);
    expect(failures.every((t) => t.result?.ok === false)).toBe(true);
  });

  it('stops when the space is exhausted, having measured every valid config once', async () => {
    const { measure, measured } = recordingMeasurer();
    const result = await tune({
      space,
      strategy: makeStrategy('random', { seed: 3, batchSize: 64 }),
      measure,
      budget: { trials: 10_000 },
      batchSize: 64,
      seed: 3,
    });
    expect(result.stopReason).toBe('exhausted');
    expect(result.trialsUsed).toBe(space.validSize().count);
    expect(new Set(measured).size).toBe(measured.length);
  });

  it('stops early after N trials without improvement', async () => {
    const flat: Measurer = async (configs) =>
      configs.map((config) => ({ config, result: okResult(1, config) }));
    const result = await tune({
      space,
      strategy: makeStrategy('random', { seed: 4, batchSize: 4 }),
      measure: flat,
      budget: { trials: 500 },
      earlyStopping: 10,
      batchSize: 4,
      seed: 4,
    });
    // The first trial sets the best; every later one ties it, so the 10th after it stops the run.
    expect(result.stopReason).toBe('early-stop');
    expect(result.trialsUsed).toBe(12);
  });

  it('stops when the wall-time budget is spent (checked between batches)', async () => {
    let clock = 0;
    const slow: Measurer = async (configs: Config[]) => {
      clock += 10;
      return configs.map((config) => ({ config, result: syntheticResult(config) }));
    };
    const result = await tune({
      space,
      strategy: makeStrategy('random', { seed: 5, batchSize: 2 }),
      measure: slow,
      budget: { wallMs: 35, trials: 1000 },
      batchSize: 2,
      seed: 5,
      now: () => clock,
    });
    expect(result.stopReason).toBe('time');
    expect(result.trialsUsed).toBe(8);
  });

  it('refuses a budget that never ends and a bad batch size', async () => {
    const { measure } = recordingMeasurer();
    const strategy = makeStrategy('random', { seed: 1, batchSize: 1 });
    await expect(tune({ space, strategy, measure, budget: {}, batchSize: 4, seed: 1 })).rejects.toSatisfy(
      (e) => isSlicetuneError(e, 'BAD_OPTION'),
    );
    await expect(
      tune({ space, strategy, measure, budget: { trials: 4 }, batchSize: 0, seed: 1 }),
    ).rejects.toSatisfy((e) => isSlicetuneError(e, 'BAD_OPTION'));
    expect(() => makeStrategy('annealing', { seed: 1, batchSize: 1 })).toThrow(/random, grid, ga, model/);
  });
});
