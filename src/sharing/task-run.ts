/**
 * One task of a model-tuning run, advanced a batch at a time by its client: the strategy proposes
 * (TuneSession), the template writes the kernels, the builder compiles them on the CPU, and only
 * then does the client take a server to measure them, so a client's other batch compiles while
 * this one is measured. Every batch is one transaction in the store; configs already recorded
 * for the task on this kind of slice are resumed, never measured again.
 */
import { FAILURE_KINDS, type FailureKind } from '../measure/types.js';
import { toleranceFor, workloadFlops } from '../ops/index.js';
import type { TuningRecord } from '../records/types.js';
import { RECORD_FORMAT_VERSION } from '../records/types.js';
import { TuneSession } from '../search/session.js';
import { makeStrategy } from '../search/strategies/index.js';
import type { StrategyThread } from '../search/strategy-thread.js';
import type { Trial } from '../search/types.js';
import type { Config, ConfigSpace } from '../space/types.js';
import { getTemplate, referenceKernel, type Task, type Template } from '../templates/index.js';
import type { RunContext } from './context.js';
import { prepareReadyFirst } from './ready-first.js';
import { sliceKeyOf, transferFor } from './task-tuner.js';
import type { Lease } from './tracker.js';

/** How a task reaches a server: its client's lock and lease (see client.ts). */
export type OnServer = <T>(fn: (lease: Lease) => Promise<T>) => Promise<T>;

export interface FinalBest {
  ms: number;
  config: Config;
  configKey: string;
}

export class TaskRun {
  readonly flops: number;
  readonly space: ConfigSpace;
  readonly session: TuneSession;
  readonly errors: Record<FailureKind, number>;
  readonly resumed: number;
  newTrials = 0;
  validNewTrials = 0;
  stepping = false;
  done = false;
  stopReason: 'budget' | 'exhausted' | 'stopped' = 'budget';
  final: FinalBest | undefined;
  retimed = 0;
  /** Points the model strategy started from (transfer from other shares and similar workloads). */
  readonly priorPoints: number;
  private readonly template: Template;

  constructor(
    readonly task: Task,
    readonly index: number,
    readonly client: number,
    private readonly ctx: RunContext,
    private readonly onServer: OnServer,
    thread?: StrategyThread,
  ) {
    this.template = getTemplate(task.template);
    this.flops = workloadFlops(task.workload);
    const device = ctx.session.device;
    this.space = this.template.space(task.workload, device);
    const already = this.resumedTrials();
    this.resumed = already.length;
    this.errors = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
    const seed = ctx.seed + index * 7919;
    const { prior, context } = ctx.transfer
      ? transferFor(ctx.store, task, this.space, device.name, ctx.plan.percent, this.ownSms())
      : { prior: [], context: [] };
    this.priorPoints = prior.length;
    const options = { seed, batchSize: ctx.batchSize, prior, context };
    const strategy = thread
      ? thread.strategy({
          template: task.template,
          workload: task.workload,
          device,
          strategy: ctx.strategy,
          options,
          sessionSeed: seed,
        })
      : makeStrategy(ctx.strategy, options);
    this.session = new TuneSession({
      space: this.space,
      strategy,
      measure: (configs) => this.measure(configs),
      seed,
      alreadyMeasured: already,
    });
    if (this.remaining() <= 0) this.done = true;
  }

  /** Configs known for the task (resumed included). */
  get known(): number {
    return this.resumed + this.newTrials;
  }

  /** The final best when re-timed, else the fastest co-located measurement (Infinity before one). */
  get bestMs(): number {
    return this.final?.ms ?? this.session.best?.cost ?? Number.POSITIVE_INFINITY;
  }

  remaining(): number {
    return this.ctx.trialsPerTask - this.known;
  }

  /** Measures one batch; marks the task done when its budget is spent or its space runs out. */
  async step(): Promise<void> {
    const n = Math.min(this.ctx.batchSize, this.remaining());
    if (n > 0 && !this.session.exhausted) {
      let batch = await this.session.step(n);
      // A batch of known configs only is retried; the session calls itself exhausted after a few.
      while (batch.length === 0 && !this.session.exhausted) batch = await this.session.step(n);
    }
    if (this.remaining() <= 0) this.done = true;
    else if (this.session.exhausted) {
      this.done = true;
      this.stopReason = 'exhausted';
    }
  }

  /** Kernels for configs, as measurement inputs (ids are config keys). */
  inputsFor(configs: readonly Config[]) {
    const device = this.ctx.session.device;
    const reference = referenceKernel(this.task.workload);
    const tolerance = toleranceFor(this.task.workload);
    return configs.map((config) => ({
      id: this.space.key(config),
      kernel: this.template.generate(this.task.workload, config, device),
      reference,
      tolerance,
    }));
  }

  private async measure(configs: Config[]) {
    const { ctx } = this;
    // Shared mode does not wait long on a batch's slowest NVRTC compiles (ready-first.ts); the
    // ones left out are not measured now, and this returns only what was. The simulated compiler
    // is instant: waiting for all keeps simulated runs repeatable (no timing decides a batch).
    const waitForAll = ctx.plan.mode === 'baseline' || ctx.session.device.simulated;
    const inputs = this.inputsFor(configs);
    const prepared = await prepareReadyFirst(ctx.session, inputs, waitForAll);
    const configOf = new Map(inputs.map((input, i) => [input.id, configs[i] as Config]));
    const { measured, server } = await this.onServer(async (lease) => ({
      measured: await ctx.session.run(prepared, ctx.measureOptions, lease.server),
      server: lease.server,
    }));
    const now = Date.now();
    const records: TuningRecord[] = measured.map((m) => ({
      formatVersion: RECORD_FORMAT_VERSION,
      taskKey: this.task.key,
      workloadKey: this.task.workloadKey,
      template: this.task.template,
      config: configOf.get(m.id) as Config,
      configKey: m.id,
      slice: sliceKeyOf(m.slice, ctx.plan.percent),
      result: m.result,
      provenance: ctx.provenance,
      timestamp: now,
      runId: ctx.runId,
    }));
    // One transaction per batch: a crash loses at most the batch in flight, never half of it.
    ctx.store.add(records);
    ctx.meter.add(server, measured);
    for (const m of measured) {
      this.newTrials++;
      if (m.result.ok) this.validNewTrials++;
      else this.errors[m.result.kind]++;
    }
    const best = Math.min(
      this.session.best?.cost ?? Infinity,
      ...measured.map((m) => (m.result.ok ? m.result.medianMs : Infinity)),
    );
    ctx.emit({
      type: 'task',
      taskKey: this.task.key,
      trials: this.known,
      total: ctx.trialsPerTask,
      bestMs: best,
      bestGflops: gflops(this.flops, best),
      errors: Object.values(this.errors).reduce((a, b) => a + b, 0),
      client: this.client,
      server,
    });
    ctx.afterBatch(server);
    return measured.map((m) => ({ config: configOf.get(m.id) as Config, result: m.result }));
  }

  /** The SMs of the run's slices: records there are this task's own history. */
  private ownSms(): Set<number> {
    return new Set(this.ctx.session.pool.servers.map((s) => s.slice.sms));
  }

  /** Records of this task on the run's kind of slice and device: what a resumed run skips. */
  private resumedTrials(): Trial[] {
    const { store, session, plan } = this.ctx;
    const sms = this.ownSms();
    return store
      .query({ taskKey: this.task.key, mechanism: plan.mechanism, deviceName: session.device.name })
      .filter((r) => sms.has(r.slice.sms))
      .map((r) => ({
        config: r.config,
        configKey: r.configKey,
        cost: r.result.ok ? r.result.medianMs : Number.POSITIVE_INFINITY,
        result: r.result,
      }));
  }
}

export function gflops(flops: number, ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? flops / ms / 1e6 : 0;
}
