/**
 * Transfer on the simulated GPU: the records of conv layers tuned on the whole GPU warm-start the
 * cost model when the same layers are tuned on a quarter of it, so it needs fewer trials there.
 * The best configs differ between the shares (the 100% winners run 40-60% slower at 25%), so
 * what carries over is the shape of the landscape, and the saving is in the early trials.
 */
import { describe, expect, it } from 'vitest';
import { RESNET18_WORKLOADS, workloadKey } from '../../src/ops/index.js';
import type { TuningRecord } from '../../src/records/types.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { transferPrior } from '../../src/search/transfer.js';
import { tune } from '../../src/search/tune.js';
import type { PriorPoint, Trial } from '../../src/search/types.js';
import { mean } from '../../src/util/stats.js';
import { type SimTask, simTask } from './sim-measure.js';

const TEMPLATE = 'conv2d_direct';
const LAYERS = ['layer2.1.conv1', 'layer3.1.conv1'];
const SEEDS = [1, 2, 3, 4];
const CAP = 128;
const BATCH = 16;
/** Within this factor of the best latency at 25%: near enough to show the warm start, which is where transfer saves. */
const NEAR = 1.2;

async function trials(
  task: SimTask,
  strategy: 'model' | 'ga',
  seed: number,
  budget: number,
  prior?: PriorPoint[],
) {
  const result = await tune({
    space: task.space,
    strategy: makeStrategy(strategy, { seed, batchSize: BATCH, ...(prior ? { prior } : {}) }),
    measure: task.measure,
    budget: { trials: budget },
    batchSize: BATCH,
    seed,
  });
  return result.trials;
}

function asRecords(found: readonly Trial[], key: string, percent: number): TuningRecord[] {
  return found.map((t) => ({
    formatVersion: 1,
    taskKey: `${key}|${TEMPLATE}`,
    workloadKey: key,
    template: TEMPLATE,
    config: t.config,
    configKey: t.configKey,
    slice: { mechanism: 'green', sms: 132, percent },
    result: t.result!,
    provenance: {
      deviceName: 'sim',
      arch: 'sm_90',
      driverVersion: '-',
      cudaVersion: '-',
      slicetuneVersion: '-',
      simulated: true,
    },
    timestamp: 0,
    runId: `at-${percent}`,
  }));
}

describe('transfer from 100% to 25% (simulated GPU)', () => {
  it('cuts the trials the model strategy needs at 25%', async () => {
    const cold: number[] = [];
    const warm: number[] = [];
    for (const name of LAYERS) {
      const layer = RESNET18_WORKLOADS.find((m) => m.name === name)!;
      const key = workloadKey(layer.workload);
      const whole = simTask(layer.workload, TEMPLATE, 100);
      const quarter = simTask(layer.workload, TEMPLATE, 25);
      const records = asRecords(await trials(whole, 'model', 50, 160), key, 100);
      const prior = transferPrior(records, quarter.space, {
        workloadKey: key,
        percent: 25,
        template: TEMPLATE,
      });
      expect(prior.length).toBe(records.length);

      const runs: { cold: number[]; warm: number[] }[] = [];
      for (const seed of SEEDS) {
        const costs = (found: Trial[]) => found.map((t) => t.cost);
        runs.push({
          cold: costs(await trials(quarter, 'model', seed, CAP)),
          warm: costs(await trials(quarter, 'model', seed, CAP, prior)),
        });
      }
      const long = (await trials(quarter, 'ga', 99, 1500)).map((t) => t.cost);
      const best = Math.min(...long, ...runs.flatMap((r) => [...r.cold, ...r.warm]));
      const trialsTo = (run: number[]) => {
        const i = run.findIndex((c) => c <= best * NEAR);
        return i < 0 ? CAP + 1 : i + 1;
      };
      cold.push(...runs.map((r) => trialsTo(r.cold)));
      warm.push(...runs.map((r) => trialsTo(r.warm)));
      console.log(
        `${name} at 25%, trials to ${NEAR} x ${best.toFixed(4)} ms: cold ${cold.slice(-SEEDS.length)}, warm ${warm.slice(-SEEDS.length)}`,
      );
    }
    console.log(`mean trials: cold ${mean(cold).toFixed(0)}, warm from 100% ${mean(warm).toFixed(0)}`);
    expect(mean(warm)).toBeLessThan(mean(cold));
  });
});
