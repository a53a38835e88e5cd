/**
 * Strategies in a worker thread (one per tuning client) must propose exactly what they propose
 * in-process: the thread rebuilds the space and mirrors the history, and its random stream starts
 * from the session's seed. Failures come back as errors, never as a hang.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import { RESNET18_WORKLOADS } from '../../src/ops/index.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { StrategyThread, type ThreadStrategySpec } from '../../src/search/strategy-thread.js';
import { tune } from '../../src/search/tune.js';
import type { SearchContext, Strategy } from '../../src/search/types.js';
import { Rng } from '../../src/util/rng.js';
import { expectSlicetuneError } from '../helpers/errors.js';
import { simTask } from './sim-measure.js';

const layer = RESNET18_WORKLOADS.find((m) => m.name === 'layer3.x.conv2')!;
const TEMPLATE = 'conv2d_igemm';
const task = simTask(layer.workload, TEMPLATE, 25);
const SEED = 11;
const BATCH = 8;

function spec(strategy: string, template = TEMPLATE): ThreadStrategySpec {
  return {
    template,
    workload: layer.workload,
    device: SIM_DEVICE_INFO,
    strategy,
    options: { seed: SEED, batchSize: BATCH },
    sessionSeed: SEED,
  };
}

async function proposedKeys(strategy: Strategy): Promise<string[]> {
  const result = await tune({
    space: task.space,
    strategy,
    measure: task.measure,
    budget: { trials: 48 },
    batchSize: BATCH,
    seed: SEED,
  });
  return result.newTrials.map((t) => t.configKey);
}

describe('StrategyThread', () => {
  let thread: StrategyThread | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
  });

  for (const name of ['model', 'ga']) {
    it(`${name} proposes in its thread exactly what it proposes in-process`, async () => {
      thread = new StrategyThread();
      const local = await proposedKeys(makeStrategy(name, { seed: SEED, batchSize: BATCH }));
      const remote = await proposedKeys(thread.strategy(spec(name)));
      expect(remote).toHaveLength(48);
      expect(remote).toEqual(local);
    });
  }

  it('hosts several strategies at once without mixing their histories', async () => {
    thread = new StrategyThread();
    const [a, b] = await Promise.all([
      proposedKeys(thread.strategy(spec('model'))),
      proposedKeys(thread.strategy(spec('model'))),
    ]);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(48);
  });

  it('rejects an unknown strategy name before asking the thread', () => {
    thread = new StrategyThread();
    expectSlicetuneError(() => thread?.strategy(spec('annealing-magic')), 'BAD_OPTION', 'annealing-magic');
  });

  it('answers a proposal with the error when the strategy cannot be built there', async () => {
    thread = new StrategyThread();
    const broken = thread.strategy(spec('random', 'no_such_template'));
    await expect(Promise.resolve(broken.propose(4, contextOf()))).rejects.toThrow(/no_such_template/);
  });

  it('fails proposals after the thread is closed instead of hanging', async () => {
    thread = new StrategyThread();
    const strategy = thread.strategy(spec('random'));
    await thread.close();
    await expect(Promise.resolve(strategy.propose(4, contextOf()))).rejects.toThrow(/strategy thread/);
  });
});

function contextOf(): SearchContext {
  return { space: task.space, rng: new Rng(SEED), history: [], measuredKeys: new Set<string>() };
}
