/**
 * The builder: compiles kernels in a pool of workers sized to the CPU cores (child processes
 * for NVRTC, which does not scale across threads of one process; threads for the simulated
 * compiler, which is instant). Identical
 * sources are compiled once (and cached), so a strategy that proposes a config twice, or two
 * configs that generate the same code, cost one compile. A compile that runs past the build
 * timeout (AutoTVM's LocalBuilder has one too) is a compile failure: its worker is killed and
 * replaced, and the batch goes on without it.
 * With `hedge`, a straggler is compiled a second time on another worker, and the first answer
 * wins (a hedged request, as MapReduce's backup tasks): on the lent H100 machine, compiles in a
 * tuning loop took 5-15x the CPU time of the same source compiled again, with single ones of
 * 3-10 s that took 20-70 ms alone (bench/compile, docs/RESULTS.md 3.4).
 */
import { availableParallelism } from 'node:os';
import type { BackendKind, KernelBinary, KernelSource } from '../gpu/types.js';
import { hashOf } from '../util/hash.js';
import { quantile } from '../util/stats.js';
import { type CompileChannel, type CompileWorkerKind, openCompileChannel } from './compile-channel.js';
import type { CompileReply, CompileRequest } from './protocol.js';

/**
 * AutoTVM's default build timeout. On the H100 host, compiles of model-chosen configs had a
 * p90 of 0.6 s but a tail to 18 s (heavily unrolled tiles; bench/sharing, 2026-11-27): one such
 * compile held up a whole batch, and in the baseline the whole run, for that long.
 */
export const DEFAULT_COMPILE_TIMEOUT_MS = 10_000;

/**
 * When a compile counts as a straggler: still running after max(minMs, factor x the p90 of the
 * last compiles). minMs keeps a fresh worker's first compile (it loads NVRTC) from counting.
 */
export interface HedgePolicy {
  minMs: number;
  factor: number;
}
export const DEFAULT_HEDGE: HedgePolicy = { minMs: 1000, factor: 3 };
/** Compile times the p90 is taken over, and how many it needs before it counts. */
const RECENT_COMPILES = 64;
const RECENT_MIN = 8;

export type BuildOutcome =
  | { ok: true; binary: KernelBinary }
  | { ok: false; message: string; log: string; compileMs: number };

export interface BuilderOptions {
  backend: BackendKind;
  arch: string;
  /** Compile workers; default: the CPU cores. */
  workers?: number;
  /** Compiled binaries kept for reuse. */
  cacheEntries?: number;
  /** Threads or processes; default: processes for CUDA, threads for the simulated GPU. */
  workerKind?: CompileWorkerKind;
  /** A compile still running after this many ms fails and its worker is replaced. */
  timeoutMs?: number;
  /** Compile stragglers again on another worker (off by default: AutoTVM's builder does not). */
  hedge?: HedgePolicy;
}

export interface BuilderStats {
  compiled: number;
  cacheHits: number;
  timedOut: number;
  hedged: number;
  hedgeWins: number;
}

/** A compile asked for: held by one worker, or by two once it is hedged. */
interface Pending {
  req: CompileRequest;
  resolve: (r: CompileReply) => void;
  holders: Slot[];
  /** Fires the build timeout, counted from the first start. */
  timer?: NodeJS.Timeout;
  /** Fires when the compile becomes a straggler. */
  hedgeTimer?: NodeJS.Timeout;
  done: boolean;
}

interface Slot {
  channel: CompileChannel;
  /** The compile the worker holds, if any. */
  holding: Pending | undefined;
}

export class Builder {
  readonly workers: number;
  private slots: Slot[] = [];
  private readonly waiting: { req: CompileRequest; resolve: (r: CompileReply) => void }[] = [];
  /** Stragglers waiting for an idle worker to compile them again; they go before new work. */
  private readonly overdue: Pending[] = [];
  private readonly cache = new Map<string, Promise<BuildOutcome>>();
  private readonly cacheEntries: number;
  /** Recent compile times (ms), for the straggler threshold. */
  private readonly recent: number[] = [];
  private nextId = 0;
  private closing = false;
  compiled = 0;
  cacheHits = 0;
  /** Compiles ended by the build timeout. */
  timedOut = 0;
  /** Stragglers compiled a second time, and how many of those second compiles answered first. */
  hedged = 0;
  hedgeWins = 0;

  /** The counters, for a run's report (take two and subtract for one run of a shared builder). */
  stats(): BuilderStats {
    const { compiled, cacheHits, timedOut, hedged, hedgeWins } = this;
    return { compiled, cacheHits, timedOut, hedged, hedgeWins };
  }

  constructor(readonly options: BuilderOptions) {
    this.workers = Math.max(1, options.workers ?? availableParallelism());
    this.cacheEntries = options.cacheEntries ?? 4096;
    for (let i = 0; i < this.workers; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const { backend, arch } = this.options;
    const kind = this.options.workerKind ?? (backend === 'cuda' ? 'process' : 'thread');
    const slot = { holding: undefined } as Slot;
    // Idle workers do not keep the host alive; a worker holding a compile does (hold()).
    slot.channel = openCompileChannel(
      kind,
      { backend, arch },
      {
        reply: (reply) => this.onReply(slot, reply),
        crash: (e) => this.onWorkerError(slot, e),
      },
    );
    return slot;
  }

  /** Compiles each kernel (deduplicated by source); outcomes in input order. */
  build(kernels: readonly KernelSource[]): Promise<BuildOutcome[]> {
    return Promise.all(kernels.map((k) => this.buildOne(k)));
  }

  buildOne(kernel: KernelSource): Promise<BuildOutcome> {
    const key = sourceKey(kernel);
    const cached = this.cache.get(key);
    if (cached) {
      this.cacheHits++;
      return cached;
    }
    const outcome = this.compile(kernel).then((r): BuildOutcome => {
      this.compiled++;
      if (!r.ok) return { ok: false, message: r.message, log: r.log, compileMs: r.compileMs };
      const { hash, arch, bytes, compileMs, log } = r;
      return { ok: true, binary: { hash, arch, bytes, compileMs, log } };
    });
    this.cache.set(key, outcome);
    if (this.cache.size > this.cacheEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return outcome;
  }

  /** Idle workers exit; busy ones are killed (a compile nobody waits for, e.g. a straggler left behind). */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.waiting.splice(0)) w.resolve(failedReply(w.req.id, 'builder closed'));
    this.overdue.length = 0;
    await Promise.all(
      this.slots.map(async (s) => {
        const p = s.holding;
        if (p === undefined) return s.channel.close();
        if (!p.done) this.settle(p, failedReply(p.req.id, 'builder closed'));
        s.channel.kill();
      }),
    );
  }

  private compile(kernel: KernelSource): Promise<CompileReply> {
    return new Promise((resolve) => {
      this.waiting.push({ req: { id: this.nextId++, kernel }, resolve });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.holding !== undefined) continue;
      const next = this.nextWork();
      if (!next) return;
      this.start(slot, next);
    }
  }

  /** A straggler's second compile first (one compile, a batch waiting on it), then new work. */
  private nextWork(): Pending | undefined {
    for (let p = this.overdue.shift(); p; p = this.overdue.shift()) {
      if (!p.done && p.holders.length === 1) {
        this.hedged++;
        return p;
      }
    }
    const w = this.waiting.shift();
    return w && { req: w.req, resolve: w.resolve, holders: [], done: false };
  }

  private start(slot: Slot, p: Pending): void {
    slot.holding = p;
    slot.channel.hold(true);
    p.holders.push(slot);
    if (p.holders.length === 1) {
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_COMPILE_TIMEOUT_MS;
      p.timer = setTimeout(() => this.onTimeout(p, timeoutMs), timeoutMs);
      const hedgeAfterMs = this.hedgeAfterMs();
      if (hedgeAfterMs < timeoutMs) {
        p.hedgeTimer = setTimeout(() => {
          if (p.done) return;
          this.overdue.push(p);
          this.pump();
        }, hedgeAfterMs);
      }
    }
    slot.channel.send(p.req);
  }

  /** How long a compile may run before it is a straggler; Infinity without a hedge policy. */
  private hedgeAfterMs(): number {
    const policy = this.options.hedge;
    if (!policy) return Number.POSITIVE_INFINITY;
    const p90 = this.recent.length >= RECENT_MIN ? quantile(this.recent, 0.9) : 0;
    return Math.max(policy.minMs, policy.factor * p90);
  }

  private onReply(slot: Slot, reply: CompileReply): void {
    if (!this.slots.includes(slot)) return; // a worker already replaced (the loser of a hedge)
    const p = slot.holding;
    slot.holding = undefined;
    slot.channel.hold(false);
    if (p && !p.done) {
      if (slot !== p.holders[0]) this.hedgeWins++;
      if (reply.ok) {
        this.recent.push(reply.compileMs);
        if (this.recent.length > RECENT_COMPILES) this.recent.shift();
      }
      this.settle(p, reply);
    }
    this.pump();
  }

  /** Answers a compile once; workers still compiling it are replaced (their answer is not needed). */
  private settle(p: Pending, reply: CompileReply): void {
    p.done = true;
    clearTimeout(p.timer);
    clearTimeout(p.hedgeTimer);
    p.resolve(reply);
    for (const slot of p.holders) if (slot.holding === p) this.replaceWorker(slot);
  }

  /** Kills a slot's worker and puts a fresh one in its place (none while closing). */
  private replaceWorker(slot: Slot): void {
    slot.holding = undefined;
    slot.channel.kill();
    if (this.closing) return;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
  }

  /** A compile worker that crashes (NVRTC errors are caught, so it should not) fails what it held. */
  private onWorkerError(slot: Slot, e: Error): void {
    // A worker killed for its timeout, or as a hedge's loser, was replaced already: no news.
    if (this.closing || !this.slots.includes(slot)) return;
    const p = slot.holding;
    this.replaceWorker(slot);
    if (p && !p.done) {
      p.holders = p.holders.filter((h) => h !== slot);
      // A second compile of the same source may still answer; otherwise this one has failed.
      if (p.holders.length === 0)
        this.settle(p, failedReply(p.req.id, `compile worker crashed: ${e.message}`));
    }
    this.pump();
  }

  private onTimeout(p: Pending, timeoutMs: number): void {
    if (this.closing || p.done) return;
    this.timedOut++;
    const s = timeoutMs / 1000;
    this.settle(
      p,
      failedReply(
        p.req.id,
        `compile did not finish within ${s} s (build timeout); its worker was restarted`,
        timeoutMs,
      ),
    );
    this.pump();
  }
}

function failedReply(id: number, message: string, compileMs = 0): CompileReply {
  return { id, ok: false, message, log: '', compileMs };
}

/** Identity of a compile: the code, the entry and the options (the arch is the builder's). */
export function sourceKey(kernel: KernelSource): string {
  return hashOf(kernel.entry, kernel.code, (kernel.compileOptions ?? []).join(' '));
}
