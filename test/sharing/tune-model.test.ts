import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MeasureSession } from '../../src/measure/session.js';
import { RetimeStore } from '../../src/records/retimes.js';
import { RecordStore } from '../../src/records/store.js';
import { type Tracker, type TrackerState, type TuningEvent, tuneModel } from '../../src/sharing/index.js';
import { eventLog, FAST_SIM, sharedPlan, smallTasks, wholePlan } from './helpers.js';

const TRIALS = 8;

describe('tuneModel on the simulated GPU', () => {
  let store: RecordStore | undefined;
  let cleanup: string | undefined;
  afterEach(async () => {
    store?.close();
    store = undefined;
    if (cleanup) await rm(cleanup, { recursive: true, force: true });
    cleanup = undefined;
  });

  it('tunes a model end to end with 4 green servers and 4 clients: every record once, bests re-timed alone', async () => {
    const tasks = smallTasks();
    store = RecordStore.open(':memory:');
    const { events, onEvent } = eventLog();
    const plan = sharedPlan('green', tasks.length);
    let tracker: Tracker | undefined;
    const busySeen = new Set<number>();
    let atDone: TrackerState | undefined;
    const result = await tuneModel({
      tasks,
      plan,
      device: 'sim',
      store,
      runId: 'shared-1',
      trialsPerTask: TRIALS,
      strategy: 'random',
      seed: 5,
      batchSize: 4,
      backendOptions: FAST_SIM,
      onTracker: (t) => {
        tracker = t;
      },
      onEvent: (e) => {
        onEvent(e);
        // The tracker's view while the run goes: which clients hold a server.
        for (const s of tracker?.state().servers ?? []) if (s.client !== undefined) busySeen.add(s.client);
        if (e.type === 'done') atDone = tracker?.state();
      },
    });
    expect(result).toMatchObject({
      mode: 'shared',
      simulated: true,
      trials: tasks.length * TRIALS,
      stopped: false,
    });
    for (const task of tasks) {
      const records = store.query({ taskKey: task.key });
      expect(records).toHaveLength(TRIALS);
      expect(new Set(records.map((r) => r.configKey)).size).toBe(TRIALS);
      expect(
        records.every(
          (r) => r.runId === 'shared-1' && r.slice.mechanism === 'green' && r.slice.percent === 25,
        ),
      ).toBe(true);
    }
    // Four clients, each on its own server, all four servers measured something.
    const taskEvents = events.filter((e): e is Extract<TuningEvent, { type: 'task' }> => e.type === 'task');
    expect(new Set(taskEvents.map((e) => e.client))).toEqual(new Set([0, 1, 2, 3]));
    expect(new Set(taskEvents.map((e) => e.server))).toEqual(new Set([0, 1, 2, 3]));
    expect(result.servers.every((s) => s.items > 0 && s.kernelMs > 0)).toBe(true);
    expect(busySeen.size).toBeGreaterThan(1);
    // At the end (runners still up): every server free and healthy, nothing pending.
    expect(atDone?.queues).toEqual([{ key: 'green:25', total: 4, free: 4, pending: 0 }]);
    expect(atDone?.servers.every((s) => s.alive && s.restarts === 0 && s.leases > 0)).toBe(true);
    expect(result.occupancy).toBeGreaterThan(0);
    expect(result.occupancy).toBeLessThanOrEqual(1);
    // Events: start first, done last, the estimate finite once every task has a success.
    expect(events[0]?.type).toBe('start');
    expect(events.at(-1)).toMatchObject({ type: 'done' });
    const estimates = events.filter(
      (e): e is Extract<TuningEvent, { type: 'estimate' }> => e.type === 'estimate',
    );
    expect(estimates.at(-1)?.estimatedModelMs).toBeCloseTo(result.estimatedModelMs);
    expect(Number.isFinite(result.estimatedModelMs)).toBe(true);
    // Each task's top configs that could still win (at least its best, at most its top 3) and one
    // random config were timed alone; the final best is an alone timing.
    for (const t of result.tasks) {
      expect(t.retimed).toBeGreaterThanOrEqual(2);
      expect(t.retimed).toBeLessThanOrEqual(4);
      expect(t.bestMs).toBeGreaterThan(0);
      expect(
        result.disturbance?.pairs.some(
          (p) => p.taskKey === t.key && p.kind === 'top' && p.aloneMs === t.bestMs,
        ),
      ).toBe(true);
    }
    expect(result.disturbance?.samples).toBe(tasks.length);
    expect(result.disturbance?.top.samples).toBeGreaterThanOrEqual(tasks.length);
    expect(result.disturbance?.top.samples).toBeLessThanOrEqual(3 * tasks.length);
    expect(result.disturbance?.median).toBeGreaterThan(0.5);
    expect(result.disturbance?.p90).toBeGreaterThanOrEqual(result.disturbance?.median ?? Infinity);
    expect(store.listRuns()).toMatchObject([
      { runId: 'shared-1', status: 'finished', records: tasks.length * TRIALS },
    ]);
    // This run's compiles: one per distinct source (kernels and each task's reference), none
    // past the build timeout.
    expect(result.compiles.compiled).toBeGreaterThanOrEqual(tasks.length * TRIALS);
    expect(result.compiles.timedOut).toBe(0);
  });

  it('baseline: one client on one server, tasks one after another, nothing re-timed', async () => {
    const tasks = smallTasks().slice(0, 3);
    store = RecordStore.open(':memory:');
    const { events, onEvent } = eventLog();
    const plan = wholePlan(tasks.length, true);
    const result = await tuneModel({
      tasks,
      plan,
      device: 'sim',
      store,
      runId: 'base-1',
      trialsPerTask: TRIALS,
      strategy: 'random',
      seed: 5,
      batchSize: 4,
      backendOptions: { timeScale: 0 },
      onEvent,
    });
    expect(result).toMatchObject({ mode: 'baseline', trials: tasks.length * TRIALS });
    expect(result.disturbance).toBeUndefined();
    expect(result.tasks.every((t) => t.retimed === 0)).toBe(true);
    const order = events.flatMap((e) => (e.type === 'task' ? [e] : []));
    expect(order.every((e) => e.client === 0 && e.server === 0)).toBe(true);
    // Sequential: once a task's batches stop, it never comes back.
    const runs = order.map((e) => e.taskKey).filter((k, i, all) => i === 0 || all[i - 1] !== k);
    expect(runs).toHaveLength(tasks.length);
    expect(new Set(runs).size).toBe(tasks.length);
    expect(store.count()).toBe(tasks.length * TRIALS);
    expect(result.compiles.compiled).toBeGreaterThanOrEqual(tasks.length * TRIALS);
  });

  it('stops on its signal with whole batches recorded, and a resumed run measures only what is missing', async () => {
    const tasks = smallTasks().slice(0, 2);
    const dir = await mkdtemp(join(tmpdir(), 'slicetune-sharing-'));
    cleanup = dir;
    store = RecordStore.open(`${dir}/records.db`);
    const plan = sharedPlan('mps', tasks.length, 2);
    const stop = new AbortController();
    const first = await tuneModel({
      tasks,
      plan,
      device: 'sim',
      store,
      runId: 'resume-1',
      trialsPerTask: TRIALS,
      strategy: 'random',
      seed: 9,
      batchSize: 2,
      backendOptions: { timeScale: 0 },
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'task') stop.abort();
      },
    });
    expect(first.stopped).toBe(true);
    expect(first.trials).toBeLessThan(tasks.length * TRIALS);
    expect(first.trials % 2).toBe(0); // whole batches of 2 only
    expect(store.count()).toBe(first.trials);
    expect(store.listRuns()[0]?.status).toBe('stopped');

    const second = await tuneModel({
      tasks,
      plan,
      device: 'sim',
      store,
      runId: 'resume-1',
      trialsPerTask: TRIALS,
      strategy: 'random',
      seed: 9,
      batchSize: 2,
      backendOptions: { timeScale: 0 },
    });
    expect(second.stopped).toBe(false);
    expect(second.trials).toBe(tasks.length * TRIALS - first.trials);
    for (const task of tasks) {
      const keys = store.query({ taskKey: task.key }).map((r) => r.configKey);
      expect(keys).toHaveLength(TRIALS);
      expect(new Set(keys).size).toBe(TRIALS);
    }
    // The re-timings of the finished run are in their own table of the same file: each task's
    // best at least, and its sample.
    const retimes = RetimeStore.open(`${dir}/records.db`);
    try {
      const rows = retimes.query({ runId: 'resume-1' });
      for (const task of tasks) {
        expect(rows.filter((r) => r.taskKey === task.key && r.kind === 'top').length).toBeGreaterThanOrEqual(
          1,
        );
        expect(rows.filter((r) => r.taskKey === task.key && r.kind === 'sample')).toHaveLength(1);
      }
    } finally {
      retimes.close();
    }
    expect(store.listRuns()[0]?.status).toBe('finished');
  });
});

describe('the compile pipeline', () => {
  /** [start, end] of every prepare (compile) and run (measure) the tuner made on the session. */
  async function intervals(baseline: boolean) {
    const session = await MeasureSession.open({
      device: 'sim',
      mechanism: 'exclusive',
      slices: 1,
      percent: 100,
      compileWorkers: 1,
      backendOptions: FAST_SIM,
    });
    const store = RecordStore.open(':memory:');
    const spans: { kind: 'prepare' | 'run'; start: number; end: number }[] = [];
    const timed =
      <A extends unknown[], R>(kind: 'prepare' | 'run', fn: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        const start = performance.now();
        try {
          return await fn(...a);
        } finally {
          spans.push({ kind, start, end: performance.now() });
        }
      };
    session.prepare = timed('prepare', session.prepare.bind(session));
    session.run = timed('run', session.run.bind(session));
    const tasks = smallTasks().slice(0, 2);
    try {
      const plan = wholePlan(tasks.length, baseline);
      await tuneModel({
        tasks,
        plan,
        device: 'sim',
        session,
        store,
        runId: `pipeline-${baseline}`,
        trialsPerTask: TRIALS,
        strategy: 'random',
        seed: 3,
        batchSize: 4,
        fidelity: { topK: 0, samples: 0 },
      });
    } finally {
      await session.close();
      store.close();
    }
    const runs = spans.filter((s) => s.kind === 'run');
    const overlapping = spans
      .filter((s) => s.kind === 'prepare')
      .filter((p) => runs.some((r) => p.start < r.end && r.start < p.end));
    return { runs: runs.length, overlapping: overlapping.length };
  }

  it("shared mode compiles a client's next batch while its current one is measured", async () => {
    const { runs, overlapping } = await intervals(false);
    expect(runs).toBe((2 * TRIALS) / 4);
    expect(overlapping).toBeGreaterThan(0);
  });

  it('the baseline builds each batch, then measures it: no compile overlaps a measurement', async () => {
    const { runs, overlapping } = await intervals(true);
    expect(runs).toBe((2 * TRIALS) / 4);
    expect(overlapping).toBe(0);
  });

  it("the model strategy proposes the same configs in its client's thread as on the main thread", async () => {
    const tasks = smallTasks();
    const configsOf = async (strategyThreads: boolean) => {
      const store = RecordStore.open(':memory:');
      await tuneModel({
        tasks,
        plan: sharedPlan('green', tasks.length),
        device: 'sim',
        store,
        runId: `threads-${strategyThreads}`,
        trialsPerTask: 2 * TRIALS,
        strategy: 'model',
        strategyThreads,
        transfer: false,
        seed: 5,
        batchSize: 4,
        backendOptions: FAST_SIM,
      });
      const keys = tasks.map((t) =>
        store
          .query({ taskKey: t.key })
          .map((r) => r.configKey)
          .sort(),
      );
      store.close();
      return keys;
    };
    const threaded = await configsOf(true);
    expect(threaded.flat()).toHaveLength(tasks.length * 2 * TRIALS);
    expect(threaded).toEqual(await configsOf(false));
  }, 120_000);

  it('starts the model at one share from the records of another (transfer), unless told not to', async () => {
    const tasks = smallTasks();
    const store = RecordStore.open(':memory:');
    const common = {
      tasks,
      device: 'sim' as const,
      store,
      trialsPerTask: TRIALS,
      strategy: 'model',
      seed: 5,
      batchSize: 4,
      backendOptions: FAST_SIM,
    };
    const whole = wholePlan(tasks.length);
    const first = await tuneModel({ ...common, plan: whole, runId: 'at-100' });
    expect(first.tasks.map((t) => t.priorPoints)).toEqual(tasks.map(() => 0));
    const quarter = await tuneModel({ ...common, plan: sharedPlan('green', tasks.length), runId: 'at-25' });
    // Every task has its 100% records (and its neighbours of the same template) to start from.
    expect(quarter.tasks.every((t) => t.priorPoints >= TRIALS)).toBe(true);
    const cold = await tuneModel({
      ...common,
      plan: sharedPlan('mps', tasks.length),
      runId: 'at-25-cold',
      transfer: false,
    });
    expect(cold.tasks.map((t) => t.priorPoints)).toEqual(tasks.map(() => 0));
    store.close();
  }, 120_000);
});
