/**
 * A pool of measurement servers on one GPU, one per slice. It owns the runner processes (one
 * per slice for mps/timeslice/exclusive, one for all green contexts), restarts them when they
 * die, and keeps every item's fate a value:
 * - a kernel that hangs is a `timeout` (its runner is killed and restarted);
 * - a fault or a hang seen while other kernels ran beside it may be a neighbour's (under MPS one
 *   client's fault kills every client), so it is re-run alone: only what fails alone counts;
 * - after a fault under MPS every client restarts before anything else runs;
 * - an item whose runner died under it without an answer is requeued; a runner that dies idle
 *   is restarted; work bound to a runner that cannot restart fails as `fault`.
 */
import type { DeviceInfo, Slice } from '../gpu/types.js';
import { SlicetuneError } from '../util/errors.js';
import type { RunnerItem } from './protocol.js';
import { type PoolConfig, runnerLayout } from './runner-layout.js';
import { RunnerProcess, type RunOutcome } from './runner-process.js';
import type { MeasuredItem, MeasureOptions, MeasureResult } from './types.js';

export interface SliceServer {
  readonly index: number;
  readonly slice: Slice;
  readonly process: RunnerProcess;
  readonly slot: number;
}

export interface PoolStats {
  restarts: number;
  requeued: number;
  /** Suspects (a fault or hang beside other kernels) measured again with the GPU to themselves. */
  isolatedReruns: number;
  /** Items measured alone on request (measureAlone: re-timing of best configs). */
  aloneRuns: number;
}

interface Job {
  item: RunnerItem;
  options: MeasureOptions;
  server?: number;
  attempts: number;
  /** Runs only with nothing else in flight (a suspect, or measured alone on request). */
  suspect: boolean;
  /** Asked for by measureAlone (not a suspect). */
  alone: boolean;
  colocated: boolean;
  resolve: (m: MeasuredItem) => void;
}

const MAX_ATTEMPTS = 3;

export class SlicePool {
  readonly stats: PoolStats = { restarts: 0, requeued: 0, isolatedReruns: 0, aloneRuns: 0 };
  private readonly queue: Job[] = [];
  private readonly busy = new Map<number, Job>();
  private readonly restarting = new Set<RunnerProcess>();
  private closed = false;
  /** Runners that could not be restarted. */
  private readonly dead = new Set<RunnerProcess>();
  private deadMessage = '';
  /** Set while every runner restarts (after an MPS-wide failure): nothing is dispatched. */
  private barrier = false;

  private constructor(
    readonly config: PoolConfig,
    readonly servers: SliceServer[],
    readonly device: DeviceInfo,
  ) {}

  static async start(config: PoolConfig): Promise<SlicePool> {
    const processes = runnerLayout(config).map((c) => new RunnerProcess(c, config.env));
    await Promise.all(processes.map((p) => p.start()));
    const servers: SliceServer[] = [];
    for (const p of processes) {
      for (const [slot, slice] of p.slices.entries())
        servers.push({ index: servers.length, slice, process: p, slot });
    }
    const device = processes[0]?.device;
    if (!device) throw new SlicetuneError('INTERNAL', 'pool started without a device');
    const pool = new SlicePool(config, servers, device);
    // A runner that dies while idle (killed, OOM) has no item to settle: restart it here.
    for (const p of processes) p.onExit = () => void pool.restartIfIdle(p);
    return pool;
  }

  get inFlight(): number {
    return this.busy.size;
  }

  /** Measures every item on whichever servers are free; results in input order. */
  measure(items: readonly RunnerItem[], options: MeasureOptions): Promise<MeasuredItem[]> {
    return Promise.all(items.map((item) => this.enqueue(item, options)));
  }

  /**
   * Measures items one at a time with the GPU to themselves (no other item in flight anywhere in
   * the pool): the undisturbed timing that a task's best configs get before they are recorded.
   */
  measureAlone(
    items: readonly RunnerItem[],
    options: MeasureOptions,
    server?: number,
  ): Promise<MeasuredItem[]> {
    return Promise.all(items.map((item) => this.enqueue(item, options, server, true)));
  }

  /** Measures one item on one given server (a tuning client bound to its slice). */
  measureOn(server: number, item: RunnerItem, options: MeasureOptions): Promise<MeasuredItem> {
    if (!this.servers[server]) throw new SlicetuneError('BAD_OPTION', `no measurement server ${server}`);
    return this.enqueue(item, options, server);
  }

  /** Resolves once no runner is being restarted (results can come back before a restart ends). */
  async settled(): Promise<void> {
    while (this.restarting.size > 0 || this.barrier) await new Promise((r) => setTimeout(r, 20));
  }

  async memInfo(): Promise<{ free: number; total: number }> {
    const p = this.servers[0]?.process;
    if (!p) return { free: 0, total: 0 };
    return p.memInfo();
  }

  async close(): Promise<void> {
    this.closed = true;
    // A restart still in flight would leave a runner behind: let it finish, then close all.
    while (this.restarting.size > 0) await new Promise((r) => setTimeout(r, 20));
    const processes = new Set(this.servers.map((s) => s.process));
    await Promise.all([...processes].map((p) => p.close()));
  }

  private enqueue(
    item: RunnerItem,
    options: MeasureOptions,
    server?: number,
    alone = false,
  ): Promise<MeasuredItem> {
    if (this.closed) throw new SlicetuneError('INTERNAL', 'measurement pool is closed');
    return new Promise((resolve) => {
      // An item to be measured alone is dispatched like a suspect: only when nothing else runs.
      this.queue.push({
        item,
        options,
        server,
        attempts: 0,
        suspect: alone,
        alone,
        colocated: false,
        resolve,
      });
      if (this.dead.size > 0) this.sweepDead();
      this.dispatch();
    });
  }

  /** Hands queued jobs to free, live servers; a suspect runs only with the GPU to itself. */
  private dispatch(): void {
    if (this.barrier) return;
    // A job that must run alone keeps the GPU to itself until it settles.
    if ([...this.busy.values()].some((j) => j.suspect)) return;
    const suspectIndex = this.queue.findIndex((j) => j.suspect);
    if (suspectIndex >= 0) {
      if (this.busy.size > 0) return;
      const job = this.queue[suspectIndex] as Job;
      const server = this.freeServers().find((s) => job.server === undefined || s.index === job.server);
      if (!server) return;
      this.queue.splice(suspectIndex, 1);
      if (job.alone) this.stats.aloneRuns++;
      else this.stats.isolatedReruns++;
      this.launch(job, server);
      return;
    }
    for (const server of this.freeServers()) {
      const i = this.queue.findIndex((j) => j.server === undefined || j.server === server.index);
      if (i < 0) continue;
      const [job] = this.queue.splice(i, 1);
      if (job) this.launch(job, server);
    }
  }

  private freeServers(): SliceServer[] {
    return this.servers.filter(
      (s) => !this.busy.has(s.index) && s.process.alive && !this.restarting.has(s.process),
    );
  }

  private launch(job: Job, server: SliceServer): void {
    if (this.busy.size > 0) {
      job.colocated = true;
      for (const other of this.busy.values()) other.colocated = true;
    }
    this.busy.set(server.index, job);
    job.attempts++;
    server.process
      .run(server.slot, job.item, job.options, FIRST_HEARTBEAT_MS)
      .then((outcome) => this.settle(job, server, outcome));
  }

  private settle(job: Job, server: SliceServer, outcome: RunOutcome): void {
    this.busy.delete(server.index);
    const finish = (result: MeasureResult, runWallMs: number) =>
      job.resolve({ id: job.item.id, result, slice: server.slice, runWallMs });
    const fatal = outcome.kind === 'watchdog' || (outcome.kind === 'result' && outcome.fatal);
    if (outcome.kind === 'died') {
      if (job.attempts < MAX_ATTEMPTS) {
        this.stats.requeued++;
        job.colocated = false;
        this.queue.unshift(job);
      } else {
        const message = `runner died ${job.attempts} times while measuring this item: ${outcome.message}`;
        finish({ ok: false, kind: 'fault', message, compileMs: job.item.binary.compileMs }, 0);
      }
    } else {
      const result: MeasureResult =
        outcome.kind === 'result'
          ? outcome.result
          : { ok: false, kind: 'timeout', message: outcome.message, compileMs: job.item.binary.compileMs };
      if (fatal && job.colocated && !job.suspect) {
        // A fault or a hang beside other kernels may be a neighbour's (under MPS one client's
        // fault ends every client; a hung kernel can stall a process's other slices): run it
        // again with the GPU to itself. Only what fails alone is recorded as failing.
        job.suspect = true;
        job.colocated = false;
        this.queue.unshift(job);
      } else {
        finish(result, outcome.runWallMs);
      }
    }
    if (fatal && this.config.mechanism === 'mps') {
      // Every client of the daemon is gone or going: restart them all before anything else runs.
      void this.restartAll();
    } else if (!server.process.alive || fatal) {
      void this.restart(server.process);
    }
    this.dispatch();
  }

  /** Kills and restarts every runner; items in flight come back as `died` and are requeued. */
  private async restartAll(): Promise<void> {
    if (this.barrier) return;
    this.barrier = true;
    try {
      const processes = [...new Set(this.servers.map((s) => s.process))];
      for (const p of processes) p.kill();
      await Promise.all(processes.map((p) => this.restart(p, true)));
    } finally {
      this.barrier = false;
    }
    this.dispatch();
  }

  /**
   * A runner that cannot be restarted: its servers are gone. Queued items bound to them, and
   * every queued item once no server is left, fail as `fault` rather than wait forever.
   */
  private failDeadServers(p: RunnerProcess, e: unknown): void {
    this.dead.add(p);
    this.deadMessage = `runner could not be restarted: ${e instanceof Error ? e.message : String(e)}`;
    this.sweepDead();
  }

  private sweepDead(): void {
    const message = this.deadMessage;
    const live = this.servers.filter((s) => !this.dead.has(s.process));
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const job = this.queue[i] as Job;
      const bound = job.server !== undefined ? this.servers[job.server] : undefined;
      if (live.length > 0 && !(bound && this.dead.has(bound.process))) continue;
      this.queue.splice(i, 1);
      const slice = (bound ?? this.servers[0])?.slice as Slice;
      job.resolve({
        id: job.item.id,
        result: { ok: false, kind: 'fault', message, compileMs: 0 },
        slice,
        runWallMs: 0,
      });
    }
  }

  /** Restarts a runner that died with nothing in flight (busy ones restart when they settle). */
  private async restartIfIdle(p: RunnerProcess): Promise<void> {
    await new Promise((r) => setImmediate(r)); // let settle() see the items it held first
    const holdsWork = this.servers.some((s) => s.process === p && this.busy.has(s.index));
    if (!holdsWork && !this.barrier) await this.restart(p);
  }

  /** Restarts a dead runner once all its in-flight items have settled. */
  private async restart(p: RunnerProcess, force = false): Promise<void> {
    if (this.closed || this.dead.has(p)) return;
    if (this.restarting.has(p)) {
      if (!force) return;
      while (this.restarting.has(p)) await new Promise((r) => setTimeout(r, 10));
      return;
    }
    this.restarting.add(p);
    try {
      // A fatal result is sent just before the process exits: wait for the exit itself.
      while (p.alive) await new Promise((r) => setTimeout(r, 10));
      for (let attempt = 1; ; attempt++) {
        try {
          await p.start();
          this.stats.restarts++;
          if (this.closed) await p.close();
          break;
        } catch (e) {
          if (attempt >= MAX_ATTEMPTS) {
            this.failDeadServers(p, e);
            return;
          }
          await new Promise((r) => setTimeout(r, 500 * attempt));
        }
      }
    } finally {
      this.restarting.delete(p);
    }
    this.dispatch();
  }
}

/** How long a runner may take to start on an item before its first heartbeat. */
const FIRST_HEARTBEAT_MS = 10_000;

export type { PoolConfig } from './runner-layout.js';
