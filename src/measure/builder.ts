/**
 * The builder: compiles kernels in a pool of workers sized to the CPU cores (child processes
 * for NVRTC, which does not scale across threads of one process; threads for the simulated
 * compiler, which is instant). Identical
 * sources are compiled once (and cached), so a strategy that proposes a config twice, or two
 * configs that generate the same code, cost one compile.
 */
import { availableParallelism } from 'node:os';
import type { BackendKind, KernelBinary, KernelSource } from '../gpu/types.js';
import { hashOf } from '../util/hash.js';
import { type CompileChannel, type CompileWorkerKind, openCompileChannel } from './compile-channel.js';
import type { CompileReply, CompileRequest } from './protocol.js';

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
}

interface Slot {
  channel: CompileChannel;
  /** Request the worker holds, if any. */
  holding: number | undefined;
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

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.channel.close()));
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
      slot.channel.send(next.req);
    }
  }

  private onReply(slot: Slot, reply: CompileReply): void {
    slot.holding = undefined;
    slot.channel.hold(false);
    this.inFlight.get(reply.id)?.(reply);
    this.inFlight.delete(reply.id);
    this.pump();
  }

  /** A compile worker that crashes (NVRTC errors are caught, so it should not) fails what it held. */
  private onWorkerError(slot: Slot, e: Error): void {
    if (this.closing) return;
    const id = slot.holding;
    if (id !== undefined) {
      this.inFlight.get(id)?.({
        id,
        ok: false,
        message: `compile worker crashed: ${e.message}`,
        log: '',
        compileMs: 0,
      });
      this.inFlight.delete(id);
    }
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = this.spawn();
    this.pump();
  }
}

/** Identity of a compile: the code, the entry and the options (the arch is the builder's). */
export function sourceKey(kernel: KernelSource): string {
  return hashOf(kernel.entry, kernel.code, (kernel.compileOptions ?? []).join(' '));
}
