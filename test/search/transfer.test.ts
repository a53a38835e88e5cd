import { describe, expect, it } from 'vitest';
import type { MeasureResult } from '../../src/measure/types.js';
import type { TuningRecord } from '../../src/records/types.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { shareCloseness, transferPrior } from '../../src/search/transfer.js';
import type { Measurer, PriorPoint } from '../../src/search/types.js';
import type { Config } from '../../src/space/types.js';
import { Rng } from '../../src/util/rng.js';
import { median } from '../../src/util/stats.js';
import { trialsToReach } from './helpers.js';
import { syntheticCost, syntheticResult, syntheticSpace } from './synthetic-space.js';

const space = syntheticSpace();
const all = [...space.enumerate()];

function record(
  workloadKey: string,
  percent: number,
  config: Config,
  result: MeasureResult,
  template = 'synth',
): TuningRecord {
  return {
    formatVersion: 1,
    taskKey: `${workloadKey}|${template}`,
    workloadKey,
    template,
    config,
    configKey: JSON.stringify(config),
    slice: { mechanism: 'green', sms: Math.round(1.32 * percent), percent },
    result,
    provenance: {
      deviceName: 'sim',
      arch: 'sm_90',
      driverVersion: '0',
      cudaVersion: '0',
      slicetuneVersion: '0',
      simulated: true,
    },
    timestamp: 0,
    runId: 'r',
  };
}

/** Records of `count` random configs of the synthetic workload measured at `percent`. */
function recordsAt(workloadKey: string, percent: number, count: number, seed: number): TuningRecord[] {
  const rng = new Rng(seed);
  return rng
    .shuffle([...all])
    .slice(0, count)
    .map((c) => record(workloadKey, percent, c, syntheticResult(c, percent / 100)));
}

describe('transferPrior', () => {
  it('normalises each source group by its best, and weighs the same workload above similar ones', () => {
    const records = [
      ...recordsAt('w1', 100, 40, 1),
      ...recordsAt('w1', 50, 40, 2),
      ...recordsAt('w2', 25, 40, 3),
      ...recordsAt('w1', 25, 40, 4), // the target itself: its own history, not a prior
      ...recordsAt('w1', 100, 10, 5).map((r) => ({ ...r, template: 'other' })),
    ];
    const prior = transferPrior(records, space, { workloadKey: 'w1', percent: 25, template: 'synth' });
    expect(prior.length).toBe(120);
    const finite = prior.filter((p) => Number.isFinite(p.cost));
    expect(Math.min(...finite.map((p) => p.cost))).toBe(1);
    expect(finite.every((p) => p.cost >= 1)).toBe(true);
    const weights = [...new Set(prior.map((p) => p.weight))].sort((a, b) => b! - a!);
    expect(weights).toEqual([shareCloseness(50, 25), shareCloseness(100, 25), 0.3]);
    expect(
      prior.every((p) => p.config !== undefined && p.features.length === space.featureNames().length),
    ).toBe(true);
  });

  it('skips groups where nothing ran and configs whose knobs do not fit the space', () => {
    const failed: MeasureResult = { ok: false, kind: 'compile', message: 'x', compileMs: 1 };
    const records = [
      ...all.slice(0, 5).map((c) => record('w1', 100, c, failed)),
      record('w3', 100, { tileX: 4 }, syntheticResult(all[0]!)),
    ];
    expect(transferPrior(records, space, { workloadKey: 'w1', percent: 25 })).toEqual([]);
  });
});

describe('a warm start', () => {
  const at25 = (configs: Config[]) => Math.min(...configs.map((c) => syntheticCost(c, 0.25)));
  const firstBatch = (prior: PriorPoint[], strategy: 'model' | 'random' = 'model') =>
    makeStrategy(strategy, { seed: 4, batchSize: 8, prior }).propose(8, {
      space,
      rng: new Rng(4),
      history: [],
      measuredKeys: new Set(),
    }) as Config[];

  it('takes its first batch from the model when the prior is large enough', () => {
    const prior = transferPrior(recordsAt('w1', 100, 300, 8), space, { workloadKey: 'w1', percent: 25 });
    const optimum = Math.min(...all.map((c) => syntheticCost(c, 0.25)));
    const warm = firstBatch(prior);
    expect(warm).toHaveLength(8);
    expect(at25(warm)).toBeLessThan(at25(firstBatch([], 'random')));
    expect(at25(warm)).toBeLessThanOrEqual(optimum * 1.2);
  });

  it('searches at random first when the prior is too small to learn from', () => {
    const prior = transferPrior(recordsAt('w1', 100, 10, 8), space, { workloadKey: 'w1', percent: 25 });
    expect(firstBatch(prior).map((c) => space.key(c))).toEqual(
      firstBatch([], 'random').map((c) => space.key(c)),
    );
  });
});

describe('transfer from 100% to 25%', () => {
  it('cuts the trials the model strategy needs at 25%', async () => {
    const optimum = Math.min(...all.map((c) => syntheticCost(c, 0.25)));
    const at25: Measurer = async (configs) =>
      configs.map((config) => ({ config, result: syntheticResult(config, 0.25) }));
    const prior = transferPrior(recordsAt('w1', 100, 200, 99), space, { workloadKey: 'w1', percent: 25 });
    const cold: number[] = [];
    const warm: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const common = { space, measure: at25, target: optimum * 1.05, cap: 400, batchSize: 8, seed };
      cold.push(await trialsToReach({ ...common, strategy: makeStrategy('model', { seed, batchSize: 8 }) }));
      warm.push(
        await trialsToReach({ ...common, strategy: makeStrategy('model', { seed, batchSize: 8, prior }) }),
      );
    }
    console.log(`trials to 5% of the 25% optimum, cold ${cold} / warm from 100% ${warm}`);
    expect(median(warm)).toBeLessThan(median(cold));
  });
});
