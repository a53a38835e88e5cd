/**
 * Tuning a whole model on a shared GPU (the paper's system): the planner's servers (slices of one
 * GPU, one runner each, or green contexts of one runner) registered with a tracker, the model's
 * tasks sharded across tuning clients that take servers from it, every measurement recorded
 * batch by batch, each task's best re-timed alone before it is final. `plan.mode === 'baseline'`
 * is the classic loop to compare against. Resumes from the store; stops cleanly on `signal`.
 */
import type { BuilderStats } from '../measure/builder.js';
import { MeasureSession } from '../measure/session.js';
import { DEFAULT_MEASURE_OPTIONS } from '../measure/types.js';
import { RetimeStore } from '../records/retimes.js';
import { STRATEGY_NAMES } from '../search/strategies/index.js';
import { SlicetuneError } from '../util/errors.js';
import { TuningClient } from './client.js';
import type { RunContext } from './context.js';
import { disturbanceReport } from './fidelity.js';
import { OccupancyMeter } from './occupancy.js';
import { defaultBatchSize } from './planner.js';
import { trackedServersOf } from './servers.js';
import { shardTasks } from './shard.js';
import { gflops, type TaskRun } from './task-run.js';
import { provenanceOf } from './task-tuner.js';
import { Tracker } from './tracker.js';
import type { FidelityOptions, ModelTuningResult, TaskSummary, TuneModelOptions } from './types.js';

/**
 * With several servers, each task's 3 fastest (those that could still win: fidelity.ts) are
 * re-timed alone, and one random config for the disturbance (16 samples for resnet18).
 */
export const DEFAULT_FIDELITY: FidelityOptions = { topK: 3, samples: 1 };

export async function tuneModel(o: TuneModelOptions): Promise<ModelTuningResult> {
  validate(o);
  const { plan } = o;
  const session =
    o.session ??
    (await MeasureSession.open({
      device: o.device,
      mechanism: plan.mechanism,
      slices: plan.servers,
      percent: plan.percent,
      compileWorkers: plan.compileWorkers,
      backendOptions: o.backendOptions,
    }));
  try {
    checkSession(session, o);
    return await runOn(session, o);
  } finally {
    if (!o.session) await session.close();
  }
}

async function runOn(session: MeasureSession, o: TuneModelOptions): Promise<ModelTuningResult> {
  const { plan, store } = o;
  // The baseline, and any run on a single server, measures alone anyway: nothing to re-time
  // unless asked.
  const alone = plan.mode === 'baseline' || session.pool.servers.length === 1;
  const fidelity: FidelityOptions = {
    ...(alone ? { topK: 0, samples: 0 } : DEFAULT_FIDELITY),
    ...o.fidelity,
  };
  const retimes = fidelity.topK + fidelity.samples > 0 ? RetimeStore.open(store.path) : undefined;
  const tracker = new Tracker(trackedServersOf(session.pool, plan.percent));
  o.onTracker?.(tracker);
  const inner = new AbortController();
  const stopOuter = () => inner.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', stopOuter, { once: true });
  if (o.signal?.aborted) inner.abort(o.signal.reason);
  const measureOptions = o.measureOptions ?? DEFAULT_MEASURE_OPTIONS;
  // The simulated GPU sleeps a kernel's model time × timeScale: that is its wall time here.
  const wallPerKernelMs = session.device.simulated ? (session.pool.config.backendOptions?.timeScale ?? 1) : 1;
  const meter = new OccupancyMeter(session.pool.servers.length, measureOptions, wallPerKernelMs);
  const emit = (e: Parameters<NonNullable<TuneModelOptions['onEvent']>>[0]) => o.onEvent?.(e);
  const startedAt = Date.now();
  const compilesBefore = session.builder.stats();
  let runs: TaskRun[] = [];
  const ctx: RunContext = {
    runId: o.runId,
    plan,
    session,
    store,
    retimes,
    tracker,
    meter,
    provenance: provenanceOf(session.device),
    measureOptions,
    fidelity,
    strategy: o.strategy,
    // Only the model strategy learns from transfer points (StrategyOptions.prior): the others
    // would pay for the store queries and report points they never used.
    transfer: (o.transfer ?? true) && o.strategy === 'model',
    strategyThreads: o.strategyThreads ?? o.strategy === 'model',
    seed: o.seed,
    batchSize: o.batchSize ?? defaultBatchSize(o.trialsPerTask),
    trialsPerTask: o.trialsPerTask,
    signal: inner.signal,
    startedAt,
    emit,
    afterBatch: (server) => {
      const wallMs = Date.now() - startedAt;
      emit({
        type: 'estimate',
        elapsedMs: wallMs,
        estimatedModelMs: estimate(runs),
        validTrials: runs.reduce((a, r) => a + r.validNewTrials, 0),
      });
      emit({ type: 'occupancy', server, busyMs: meter.of(server).kernelMs, wallMs });
    },
    pairs: [],
  };
  store.startRun(o.runId, {
    command: 'tune',
    plan,
    trialsPerTask: o.trialsPerTask,
    strategy: o.strategy,
    seed: o.seed,
    // How every record of the run was timed: quick and autotvm timings are not interchangeable.
    measureOptions,
    tasks: o.tasks.map((t) => t.key),
  });
  let failure: unknown;
  let clients: TuningClient[] = [];
  try {
    const indexOf = new Map(o.tasks.map((t, i) => [t.key, i]));
    clients = shardTasks(o.tasks, plan.clients).map(
      (shard, c) =>
        new TuningClient(
          c,
          shard.map((task) => ({ task, index: indexOf.get(task.key) ?? 0 })),
          ctx,
        ),
    );
    runs = clients.flatMap((c) => c.runs).sort((a, b) => a.index - b.index);
    emit({
      type: 'start',
      runId: o.runId,
      plan,
      servers: session.pool.servers.map((s) => ({ index: s.index, slice: s.slice })),
      tasks: runs.map((r) => ({ key: r.task.key, weight: r.task.weight, flops: r.flops })),
    });
    await Promise.all(
      clients.map((c) =>
        c.run().catch((e: unknown) => {
          // One client failing stops the others at their next batch; the first error is thrown.
          failure ??= e;
          inner.abort(e);
        }),
      ),
    );
    if (failure !== undefined) throw failure;
    await session.pool.settled();
    const result = resultOf(o, ctx, runs, Date.now() - startedAt, compilesBefore);
    store.finishRun(o.runId, result.stopped ? 'stopped' : 'finished');
    emit({ type: 'done', result });
    return result;
  } catch (e) {
    store.finishRun(o.runId, 'failed');
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', stopOuter);
    await Promise.all(clients.map((c) => c.close()));
    tracker.close();
    retimes?.close();
  }
}

/** This run's share of a builder's counters (a service's session outlives its runs). */
function statsSince(before: BuilderStats, after: BuilderStats): BuilderStats {
  return {
    compiled: after.compiled - before.compiled,
    cacheHits: after.cacheHits - before.cacheHits,
    timedOut: after.timedOut - before.timedOut,
  };
}

/** Σ weight × best latency: Infinity while a task has no success. */
function estimate(runs: readonly TaskRun[]): number {
  if (runs.length === 0) return Number.POSITIVE_INFINITY;
  return runs.reduce((a, r) => a + r.task.weight * r.bestMs, 0);
}

function resultOf(
  o: TuneModelOptions,
  ctx: RunContext,
  runs: readonly TaskRun[],
  wallMs: number,
  compilesBefore: BuilderStats,
): ModelTuningResult {
  const { session, meter, tracker } = ctx;
  const health = tracker.state().servers;
  const tasks = runs.map((r): TaskSummary => {
    const best =
      r.final ??
      (r.session.best
        ? { ms: r.session.best.cost, config: r.session.best.config, configKey: r.session.best.configKey }
        : undefined);
    const bestMs = best?.ms ?? Number.POSITIVE_INFINITY;
    return {
      key: r.task.key,
      weight: r.task.weight,
      flops: r.flops,
      client: r.client,
      trials: r.known,
      newTrials: r.newTrials,
      validNewTrials: r.validNewTrials,
      errors: { ...r.errors },
      bestMs,
      bestGflops: gflops(r.flops, bestMs),
      ...(best ? { bestConfig: best.config, bestConfigKey: best.configKey } : {}),
      colocatedBestMs: r.session.best?.cost ?? Number.POSITIVE_INFINITY,
      priorPoints: r.priorPoints,
      retimed: r.retimed,
      stopReason: r.done ? r.stopReason : 'stopped',
    };
  });
  const disturbance = disturbanceReport(ctx.pairs);
  return {
    runId: o.runId,
    mode: o.plan.mode,
    plan: o.plan,
    deviceName: session.device.name,
    simulated: session.device.simulated,
    wallMs,
    validTrials: runs.reduce((a, r) => a + r.validNewTrials, 0),
    trials: runs.reduce((a, r) => a + r.newTrials, 0),
    estimatedModelMs: estimate(runs),
    tasks,
    occupancy: meter.occupancy(wallMs),
    servers: session.pool.servers.map((s) => ({
      index: s.index,
      slice: s.slice,
      ...meter.of(s.index),
      restarts: health[s.index]?.restarts ?? 0,
    })),
    ...(disturbance ? { disturbance } : {}),
    stats: { ...session.pool.stats },
    compiles: statsSince(compilesBefore, session.builder.stats()),
    stopped: runs.some((r) => !r.done),
  };
}

function validate(o: TuneModelOptions): void {
  const bad = (m: string) => new SlicetuneError('BAD_OPTION', `tuneModel: ${m}`);
  if (o.tasks.length === 0) throw bad('no tasks to tune');
  if (new Set(o.tasks.map((t) => t.key)).size !== o.tasks.length) throw bad('task keys must be distinct');
  if (!(Number.isInteger(o.trialsPerTask) && o.trialsPerTask >= 1)) {
    throw bad(`trialsPerTask must be a positive integer, got ${o.trialsPerTask}`);
  }
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) {
    throw bad(`batchSize must be a positive integer, got ${o.batchSize}`);
  }
  if (!(STRATEGY_NAMES as readonly string[]).includes(o.strategy)) {
    throw bad(`unknown search strategy '${o.strategy}' (choose one of: ${STRATEGY_NAMES.join(', ')})`);
  }
  const { plan } = o;
  if (!(Number.isInteger(plan.clients) && plan.clients >= 1))
    throw bad(`plan.clients must be >= 1, got ${plan.clients}`);
  if (plan.mode === 'baseline' && (plan.clients !== 1 || plan.servers !== 1)) {
    throw bad(`a baseline plan has one client and one server, got ${plan.clients} and ${plan.servers}`);
  }
  for (const [k, v] of Object.entries(o.fidelity ?? {})) {
    if (!(Number.isInteger(v) && v >= 0)) throw bad(`fidelity.${k} must be a non-negative integer, got ${v}`);
  }
}

function checkSession(session: MeasureSession, o: TuneModelOptions): void {
  const { config } = session.pool;
  const { plan } = o;
  const sliced = plan.mechanism === 'green' || plan.mechanism === 'mps';
  if (config.mechanism !== plan.mechanism || (sliced && config.percent !== plan.percent)) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `tuneModel: the session's servers are ${config.mechanism} at ${config.percent}%, the plan asks for ${plan.mechanism} at ${plan.percent}%`,
    );
  }
}
