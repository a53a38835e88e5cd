/**
 * Transfer on the simulated GPU: the records of a conv layer tuned on the whole GPU warm-start the
 * cost model when the same layer is tuned on a quarter of it, so it needs fewer trials there.
 */
import { describe, expect, it } from 'vitest';
import { RESNET18_WORKLOADS, workloadKey } from '../../src/ops/index.js';
import type { TuningRecord } from '../../src/records/types.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { transferPrior } from '../../src/search/transfer.js';
import { tune } from '../../src/search/tune.js';
import type { PriorPoint } from '../../src/search/types.js';
import { mean } from '../../src/util/stats.js';
import { type SimTask, simTask } from './sim-measure.js';

const TEMPLATE = 'conv2d_direct';
const SEEDS = [1, 2, 3, 4, 5];
const CAP = 160;
const BATCH = 16;

async function costs(task: SimTask, strategy: 'model' | 'ga', seed: number, trials: number, prior?: PriorPoint[]) {
  const result = await tune({
    space: task.space,
    strategy: makeStrategy(strategy, { seed, batchSize: BATCH, ...(prior ? { prior } : {}) }),
    measure: task.measure,
    budget: { trials },
    batchSize: BATCH,
    seed,
  });
  return result.trials;
}

describe('transfer from 100% to 25% (simulated GPU)', () => {
  it('cuts the trials the model strategy needs to come within 5% of the best at 25%', async () => {
    const layer = RESNET18_WORKLOADS.find((m) => m.name === 'layer1.x.conv1')!;
    const key = workloadKey(layer.workload);
    const whole = simTask(layer.workload, TEMPLATE, 100);
    const quarter = simTask(layer.workload, TEMPLATE, 25);
    const records: TuningRecord[] = (await costs(whole, 'model', 50, 160)).map((t) => ({
      formatVersion: 1,
      taskKey: `${key}|${TEMPLATE}`,
      workloadKey: key,
      template: TEMPLATE,
      config: t.config,
      configKey: t.configKey,
      slice: { mechanism: 'green', sms: 132, percent: 100 },
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
      runId: 'at-100',
    }));
    const prior = transferPrior(records, quarter.space, { workloadKey: key, percent: 25, template: TEMPLATE });
    expect(prior.length).toBe(records.length);

    const cold: number[][] = [];
    const warm: number[][] = [];
    for (const seed of SEEDS) {
      cold.push((await costs(quarter, 'model', seed, CAP)).map((t) => t.cost));
      warm.push((await costs(quarter, 'model', seed, CAP, prior)).map((t) => t.cost));
    }
    const long = (await costs(quarter, 'ga', 99, 2000)).map((t) => t.cost);
    const best = Math.min(...long, ...cold.flat(), ...warm.flat());
    const trialsTo = (run: number[]) => {
      const i = run.findIndex((c) => c <= best * 1.05);
      return i < 0 ? CAP + 1 : i + 1;
    };
    const coldTrials = cold.map(trialsTo);
    const warmTrials = warm.map(trialsTo);
    console.log(`trials to 5% of ${best.toFixed(4)} ms at 25%: cold ${coldTrials}, warm from 100% ${warmTrials}`);
    expect(mean(warmTrials)).toBeLessThan(mean(coldTrials));
  });
});
