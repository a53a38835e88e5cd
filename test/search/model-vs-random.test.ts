/**
 * The claim of model-guided search, on the simulated GPU: over several seeds it needs fewer
 * trials than random search to come within 5% of the best latency of ResNet-18 conv layers.
 * This can fail: a cost model that learns nothing does no better than random.
 */
import { describe, expect, it } from 'vitest';
import { RESNET18_WORKLOADS } from '../../src/ops/index.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { tune } from '../../src/search/tune.js';
import { mean, median } from '../../src/util/stats.js';
import { simTask } from './sim-measure.js';

const LAYERS = ['layer1.x.conv1', 'layer2.1.conv1', 'layer3.0.conv1'];
const SEEDS = [1, 2, 3, 4, 5];
/** Trials each run may use; a run that never gets within 5% counts as CAP + 1. */
const CAP = 256;
const BATCH = 16;

/** 1-based index of the first cost at most `target`, or CAP + 1. */
function trialsTo(costs: readonly number[], target: number): number {
  const i = costs.findIndex((c) => c <= target);
  return i < 0 ? CAP + 1 : i + 1;
}

describe('model-guided search against random search (conv2d_direct, simulated GPU, 100%)', () => {
  it('needs fewer trials to come within 5% of the best', async () => {
    const model: number[] = [];
    const random: number[] = [];
    for (const name of LAYERS) {
      const layer = RESNET18_WORKLOADS.find((m) => m.name === name)!;
      const task = simTask(layer.workload, 'conv2d_direct', 100);
      const costsOf = async (strategy: 'model' | 'random' | 'ga', seed: number, trials: number) => {
        const result = await tune({
          space: task.space,
          strategy: makeStrategy(strategy, { seed, batchSize: BATCH }),
          measure: task.measure,
          budget: { trials },
          batchSize: BATCH,
          seed,
        });
        return result.trials.map((t) => t.cost);
      };
      const runs = [];
      for (const seed of SEEDS)
        runs.push({ model: await costsOf('model', seed, CAP), random: await costsOf('random', seed, CAP) });
      // The best reference: the best of every run and of a long genetic-algorithm run.
      const long = await costsOf('ga', 99, 2000);
      const best = Math.min(...long, ...runs.flatMap((r) => [...r.model, ...r.random]));
      const rows = runs.map((r) => {
        model.push(trialsTo(r.model, best * 1.05));
        random.push(trialsTo(r.random, best * 1.05));
        return `${model.at(-1)}/${random.at(-1)}`;
      });
      console.log(`${name}: trials to 5% of ${best.toFixed(4)} ms (model/random): ${rows.join(' ')}`);
    }
    console.log(`mean model ${mean(model).toFixed(0)}, random ${mean(random).toFixed(0)}`);
    expect(mean(model)).toBeLessThan(mean(random));
    expect(median(model)).toBeLessThan(median(random));
  });
});
