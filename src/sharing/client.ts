/**
 * A tuning client: a shard of the model's tasks, each with its own strategy, advanced batch by
 * batch on servers it takes from the tracker. Shared mode runs two lanes: while one lane's batch
 * is measured (the client holds one server at a time), the other proposes and compiles its next
 * one, so neither the GPU nor the CPU waits. Tasks take turns, fewest trials first, so every task
 * has a best early and the estimated model latency falls from the start.
 * Baseline mode is the classic AutoTVM loop: one lane, tasks one after another, each batch built
 * and then measured.
 */
import { StrategyThread } from '../search/strategy-thread.js';
import { Mutex, type RunContext, Stopped } from './context.js';
import { retimeAlone } from './fidelity.js';
import { type OnServer, TaskRun } from './task-run.js';
import type { Lease } from './tracker.js';

export class TuningClient {
  readonly runs: TaskRun[];
  private readonly gpu = new Mutex();
  private lastServer: number | undefined;
  /** This client's own core for its strategies' proposals (as its own process would have). */
  private readonly thread: StrategyThread | undefined;

  constructor(
    readonly index: number,
    tasks: readonly { task: TaskRun['task']; index: number }[],
    private readonly ctx: RunContext,
  ) {
    this.thread = ctx.strategyThreads && tasks.length > 0 ? new StrategyThread() : undefined;
    this.runs = tasks.map((t) => new TaskRun(t.task, t.index, index, ctx, this.onServer, this.thread));
    // Client i starts on server i: each runner then keeps its own client's workloads resident.
    if (index < ctx.session.pool.servers.length) this.lastServer = index;
  }

  get pipelined(): boolean {
    return this.ctx.plan.mode === 'shared';
  }

  /** Runs every task to its budget (or until the run's signal stops it). */
  async run(): Promise<void> {
    try {
      // Tasks already complete in the store still get their re-timing before their best is final.
      for (const r of this.runs) if (r.done) await this.finish(r);
    } catch (e) {
      if (e instanceof Stopped || this.ctx.signal.aborted) return this.markStopped();
      throw e;
    }
    const lanes = this.pipelined ? 2 : 1;
    await Promise.all(Array.from({ length: lanes }, () => this.lane()));
  }

  private async lane(): Promise<void> {
    for (;;) {
      if (this.ctx.signal.aborted) return this.markStopped();
      const run = this.next();
      if (!run) return;
      run.stepping = true;
      try {
        await run.step();
        if (run.done) await this.finish(run);
      } catch (e) {
        if (e instanceof Stopped || this.ctx.signal.aborted) return this.markStopped();
        throw e;
      } finally {
        run.stepping = false;
      }
    }
  }

  /** Shared: the task with the fewest trials that no lane is stepping; baseline: the first unfinished. */
  private next(): TaskRun | undefined {
    const open = this.runs.filter((r) => !r.done && !r.stepping);
    if (!this.pipelined) return this.runs.some((r) => r.stepping) ? undefined : open[0];
    return open.reduce<TaskRun | undefined>((min, r) => (!min || r.known < min.known ? r : min), undefined);
  }

  async close(): Promise<void> {
    await this.thread?.close();
  }

  private async finish(run: TaskRun): Promise<void> {
    const { topK, samples } = this.ctx.fidelity;
    if (topK + samples > 0) await retimeAlone(run, this.ctx, this.onServer);
    this.ctx.afterBatch(this.lastServer ?? 0);
  }

  private markStopped(): void {
    for (const r of this.runs) if (!r.done) r.stopReason = 'stopped';
  }

  /** One batch of this client on the GPU at a time, on a server the tracker hands out. */
  private readonly onServer: OnServer = (fn) =>
    this.gpu.run(async () => {
      const { tracker, plan, signal } = this.ctx;
      let lease: Lease;
      try {
        lease = await tracker.acquire({
          client: this.index,
          percent: plan.percent,
          mechanism: plan.mechanism,
          ...(this.lastServer === undefined ? {} : { prefer: this.lastServer }),
          signal,
        });
      } catch (e) {
        if (signal.aborted) throw new Stopped();
        throw e;
      }
      this.lastServer = lease.server;
      try {
        return await fn(lease);
      } finally {
        lease.release();
      }
    });
}
