/**
 * The builder: compiles kernels in a pool of workers sized to the CPU cores (child processes
 * for NVRTC, which does not scale across threads of one process; threads for the simulated
 * compiler, which is instant). Identical
 * sources are compiled once (and cached), so a strategy that proposes a config twice, or two
 * configs that generate the same code, cost one compile. A compile that runs past the build
 * timeout (AutoTVM's LocalBuilder has one too) is a compile failure: its worker is killed and
 * replaced, and the batch goes on without it.
 * Stragglers are not compiled a second time on another worker (a hedged request): on the lent
 * H100 machine, none of 64 such second compiles answered before the first (bench/sharing runs
 * 19-20, docs/RESULTS.md 3.4): when one compile there is slow, its twin started later is too.
 */
import { availableParallelism } from 'node:os';
import type { BackendKind, KernelBinary, KernelSource } from '../gpu/types.js';
import { hashOf } from '../util/hash.js';
import { type CompileChannel, type CompileWorkerKind, openCompileChannel } from './compile-channel.js';
import type { CompileReply, CompileRequest } from './protocol.js';

/**
 * AutoTVM's default build timeout. On the H100 host, compiles of model-chosen configs had a
 * p90 of 0.6 s but a tail to 18 s (heavily unrolled tiles; bench/sharing, 2026-11-27): one such
 * compile held up a whole batch, and in the baseline the whole run, for that long.
 */
export const DEFAULT_COMPILE_TIMEOUT_MS = 10_000;

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
}

/** A builder's counters: a run reports its own share of them (tune-model.ts). */
export interface BuilderStats {
  compiled: number;
  cacheHits: number;
  timedOut: number;
}

interface Slot {
  channel: CompileChannel;
  /** Request the worker holds, if any. */
  holding: number | undefined;
  /** Fires the build timeout of the compile held. */
  timer: NodeJS.Timeout | undefined;
}

export class Builder {
  readonly workers: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: { req: CompileRequest; resolve: (r: CompileReply) => void }[] = [];
  private readonly inFlight = new Map<number, (r: CompileReply) => void>();
  private readonly cache = new Map<string, Promise<BuildOutcome>>();
  private readonly cacheEntries: number;
  private nextId = 0;
  private closing = false;
  compiled = 0;
  cacheHits = 0;
  /** Compiles ended by the build timeout. */
  timedOut = 0;

  stats(): BuilderStats {
    const { compiled, cacheHits, timedOut } = this;
    return { compiled, cacheHits, timedOut };
  }

  constructor(readonly options: BuilderOptions) {
    this.workers = Math.max(1, options.workers ?? availableParallelism());
    this.cacheEntries = options.cacheEntries ?? 4096;
    for (let i = 0; i < this.workers; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const { backend, arch } = this.options;
    const kind = this.options.workerKind ?? (backend === 'cuda' ? 'process' : 'thread');
    const slot = { holding: undefined, timer: undefined } as Slot;
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
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.holding === undefined) return s.channel.close();
        this.release(s, failedReply(s.holding, 'builder closed'));
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
      const next = this.waiting.shift();
      if (!next) return;
      slot.holding = next.req.id;
      slot.channel.hold(true);
      this.inFlight.set(next.req.id, next.resolve);
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_COMPILE_TIMEOUT_MS;
      slot.timer = setTimeout(() => this.onTimeout(slot, timeoutMs), timeoutMs);
      slot.channel.send(next.req);
    }
  }

  private onReply(slot: Slot, reply: CompileReply): void {
    this.release(slot, reply);
    slot.channel.hold(false);
    this.pump();
  }

  /** Answers the compile a slot holds (with its worker's reply or a failure); the slot is then free. */
  private release(slot: Slot, reply: CompileReply): void {
    clearTimeout(slot.timer);
    slot.holding = undefined;
    this.inFlight.get(reply.id)?.(reply);
    this.inFlight.delete(reply.id);
  }

  /** A compile worker that crashes (NVRTC errors are caught, so it should not) fails what it held. */
  private onWorkerError(slot: Slot, e: Error): void {
    // A worker killed for its timeout was replaced already; its exit is no news.
    if (this.closing || !this.slots.includes(slot)) return;
    this.replace(slot, `compile worker crashed: ${e.message}`, 0);
  }

  private onTimeout(slot: Slot, timeoutMs: number): void {
    if (this.closing || slot.holding === undefined) return;
    this.timedOut++;
    const s = timeoutMs / 1000;
    this.replace(
      slot,
      `compile did not finish within ${s} s (build timeout); its worker was restarted`,
      timeoutMs,
    );
    slot.channel.kill();
  }

  /** Fails the compile a slot held and puts a fresh worker in its place. */
  private replace(slot: Slot, message: string, compileMs: number): void {
    if (slot.holding !== undefined) this.release(slot, failedReply(slot.holding, message, compileMs));
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
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
