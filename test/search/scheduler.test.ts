import { describe, expect, it } from 'vitest';
import { sessionStep, TaskScheduler, type TaskStep } from '../../src/search/scheduler.js';
import {
  chooseNextTask,
  objective,
  type SchedulerPolicy,
  type TaskState,
} from '../../src/search/scheduler-policy.js';
import { TuneSession } from '../../src/search/session.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import type { Measurer } from '../../src/search/types.js';
import { syntheticResult, syntheticSpace } from './synthetic-space.js';

const policy: SchedulerPolicy = { alpha: 0.2, beta: 2, backwardWindow: 3, stallTrials: 48, minShare: 0.01 };

function state(key: string, weight: number, bests: number[], extra: Partial<TaskState> = {}): TaskState {
  return {
    key,
    weight,
    flops: 0,
    rounds: bests.length,
    trials: bests.length * 8,
    best: bests.at(-1) ?? Number.POSITIVE_INFINITY,
    bestByRound: bests,
    improvedAtTrial: bests.length * 8,
    ...extra,
  };
}

describe('chooseNextTask', () => {
  it('warms up round-robin: a task that never ran goes first', () => {
    const tasks = [state('a', 10, [5, 4]), state('b', 1, []), state('c', 1, [])];
    expect(chooseNextTask(tasks, policy).next).toBe('b');
  });

  it('prefers the task whose weighted latency falls fastest', () => {
    const light = state('light', 1, [2, 1.8, 1.6, 1.5]);
    const heavy = state('heavy', 6, [2, 1.8, 1.6, 1.5]);
    expect(chooseNextTask([light, heavy], policy).next).toBe('heavy');
    // Same weight, but one is still improving and the other has flattened.
    const flat = state('flat', 1, [1, 1, 1, 1], { improvedAtTrial: 8 });
    const falling = state('falling', 1, [2, 1.5, 1.1, 0.9]);
    expect(chooseNextTask([flat, falling], policy).next).toBe('falling');
  });

  it('favours a task far below the throughput other tasks reach (the forward estimate)', () => {
    const bests = [1.2, 1.1, 1.05, 1];
    const efficient = { ...state('efficient', 1, bests), flops: 1000 };
    const slow = { ...state('slow', 1, bests), flops: 10 };
    expect(chooseNextTask([efficient, slow], policy).next).toBe('slow');
  });

  it('drops stalled and negligible tasks, never the heaviest, and stops when none is left', () => {
    const stalled = state('stalled', 1, [3, 3, 3, 3, 3, 3, 3], { trials: 80, improvedAtTrial: 8 });
    const tiny = state('tiny', 1, [0.01, 0.009]);
    const big = state('big', 2, [5, 4]);
    const decision = chooseNextTask([stalled, tiny, big], policy);
    expect(decision.drop).toEqual([
      { key: 'stalled', reason: 'stalled' },
      { key: 'tiny', reason: 'negligible' },
    ]);
    expect(decision.next).toBe('big');
    const alone = chooseNextTask([state('only', 1, [0.01])], { ...policy, minShare: 2 });
    expect(alone.drop).toEqual([]);
    const done = chooseNextTask([{ ...big, dropped: 'stalled' }], policy);
    expect(done.next).toBeNull();
  });

  it('objective is Σ weight × best latency', () => {
    expect(objective([state('a', 2, [3]), state('b', 1, [0.5])])).toBeCloseTo(6.5);
  });
});

describe('TaskScheduler', () => {
  /** A task whose best latency keeps falling towards `floor` as it gets trials (or never does). */
  function curve(floor: number, improving: boolean): (trials: number) => number {
    return (trials) => (improving ? floor * (1 + 2 / (1 + trials / 16)) : 3 * floor);
  }

  it('gives more trials to heavier tasks, drops stalled ones, and reports a falling objective', async () => {
    const specs = [
      { key: 'heavy', weight: 8, latency: curve(1, true) },
      { key: 'medium', weight: 2, latency: curve(1, true) },
      { key: 'light', weight: 1, latency: curve(0.5, true) },
      { key: 'stuck', weight: 1, latency: curve(1, false) },
    ];
    const given = new Map<string, number>();
    const step: TaskStep = async (task, trials) => {
      const total = (given.get(task.key) ?? 0) + trials;
      given.set(task.key, total);
      const spec = specs.find((s) => s.key === task.key)!;
      return { trialsUsed: trials, bestCost: spec.latency(total) };
    };
    const objectives: number[] = [];
    const scheduler = new TaskScheduler(
      specs.map((s) => ({ key: s.key, weight: s.weight, flops: 0 })),
      step,
      {
        totalTrials: 400,
        batchSize: 8,
        policy: { stallTrials: 24 },
        onStep: (r) => objectives.push(r.objective),
      },
    );
    const result = await scheduler.run();
    const trials = Object.fromEntries(result.tasks.map((t) => [t.key, t.trials]));
    expect(result.trialsUsed).toBe(400);
    expect(trials.heavy).toBeGreaterThan(trials.medium!);
    expect(trials.medium).toBeGreaterThan(trials.light!);
    expect(result.tasks.find((t) => t.key === 'stuck')?.dropped).toBe('stalled');
    expect(trials.stuck).toBeLessThanOrEqual(8 + 24);
    for (let i = 1; i < objectives.length; i++) expect(objectives[i]).toBeLessThanOrEqual(objectives[i - 1]!);
    expect(objectives.at(-1)).toBeCloseTo(objective(result.tasks));
  });

  it('drives real tuning sessions, one per task, until every task stalls or the budget ends', async () => {
    const space = syntheticSpace();
    const scaled =
      (scale: number): Measurer =>
      async (configs) =>
        configs.map((config) => {
          const r = syntheticResult(config);
          return { config, result: r.ok ? { ...r, medianMs: r.medianMs * scale } : r };
        });
    const sessions = new Map(
      [1, 2].map((i) => [
        `t${i}`,
        new TuneSession({
          space,
          strategy: makeStrategy('ga', { seed: i, batchSize: 8 }),
          measure: scaled(i),
          seed: i,
        }),
      ]),
    );
    const scheduler = new TaskScheduler(
      [...sessions.keys()].map((key) => ({ key, weight: 1, flops: 0 })),
      sessionStep(sessions),
      { totalTrials: 200, batchSize: 8 },
    );
    const result = await scheduler.run();
    for (const task of result.tasks) {
      const session = sessions.get(task.key)!;
      expect(task.trials).toBe(session.measuredCount);
      expect(task.best).toBe(session.best!.cost);
    }
    expect(result.trialsUsed).toBe(result.tasks.reduce((n, t) => n + t.trials, 0));
  });
});
