/**
 * The tracker (TVM's RPC tracker, for slices): it knows the measurement servers, each bound to
 * one slice with its mechanism and SMs, hands a free one to a client that asks for a share,
 * queues the request when all are busy, and reports its state as `query_rpc_tracker` does:
 * the servers, and per kind of server how many there are, how many are free, how many wait.
 *
 * Health: a server whose runner is down is never handed out. The pool restarts a runner that dies
 * under an item; one that dies idle (killed between batches) has nobody to notice, so the tracker
 * looks every `healthMs` and revives a runner that has stayed down for `reviveAfterMs` with none
 * of its servers leased.
 */
import type { Slice, SliceMechanism } from '../gpu/types.js';
import { SlicetuneError } from '../util/errors.js';
import { InProcessQueue, type QueueBackend } from './queue.js';

export interface ServerHealth {
  alive: boolean;
  /** Times its runner was started again. */
  restarts: number;
}

export interface TrackedServer {
  index: number;
  slice: Slice;
  /** The share the server stands for, percent. */
  percent: number;
  health(): ServerHealth;
  /** Servers of one runner process share a group: they die and come back together. */
  group: string;
  /** Starts the group's runner again (called only when none of the group's servers is leased). */
  revive?: () => Promise<void>;
}

export interface ServerRequest {
  /** Who asks (shown in the state). */
  client: number;
  percent: number;
  mechanism?: SliceMechanism;
  /** A server this client used before (its runner keeps the client's workloads resident). */
  prefer?: number;
  signal?: AbortSignal;
}

export interface Lease {
  server: number;
  slice: Slice;
  /** Gives the server back (idempotent). */
  release(): void;
}

export interface ServerStatus {
  index: number;
  key: string;
  mechanism: SliceMechanism;
  sms: number;
  percent: number;
  alive: boolean;
  restarts: number;
  /** Client holding it, when leased. */
  client?: number;
  /** Leases granted so far. */
  leases: number;
}

export interface QueueStatus {
  key: string;
  total: number;
  free: number;
  pending: number;
}

export interface TrackerState {
  servers: ServerStatus[];
  queues: QueueStatus[];
  free: number;
  pending: number;
}

/** What a queued request carries (plain JSON, so a distributed queue can hold it). */
export interface RequestPayload {
  requestId: number;
  client: number;
}

interface Waiter {
  request: ServerRequest;
  resolve: (lease: Lease) => void;
  reject: (e: unknown) => void;
  cancelled: boolean;
  onAbort?: () => void;
}

export interface TrackerOptions {
  queue?: QueueBackend<RequestPayload>;
  healthMs?: number;
  reviveAfterMs?: number;
}

export function serverKey(mechanism: SliceMechanism, percent: number): string {
  return `${mechanism}:${percent}`;
}

export class Tracker {
  private readonly queue: QueueBackend<RequestPayload>;
  private readonly holder = new Map<number, number>();
  private readonly leaseCounts = new Map<number, number>();
  private readonly waiters = new Map<number, Waiter>();
  private readonly pendingByKey = new Map<string, number>();
  private readonly downSince = new Map<string, number>();
  private readonly reviving = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly reviveAfterMs: number;
  private nextRequest = 0;
  private ops: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly servers: readonly TrackedServer[],
    options: TrackerOptions = {},
  ) {
    if (servers.length === 0) throw new SlicetuneError('BAD_OPTION', 'a tracker needs at least one server');
    this.queue = options.queue ?? new InProcessQueue<RequestPayload>();
    this.reviveAfterMs = options.reviveAfterMs ?? 3_000;
    this.timer = setInterval(() => this.checkHealth(), options.healthMs ?? 1_000);
    this.timer.unref();
  }

  /** A free server of the asked share (the preferred one when free); waits in the queue when none is. */
  acquire(request: ServerRequest): Promise<Lease> {
    if (this.closed) return Promise.reject(new SlicetuneError('INTERNAL', 'the tracker is closed'));
    const key = this.keyFor(request);
    if (request.signal?.aborted) return Promise.reject(abortError(request.signal));
    return new Promise<Lease>((resolve, reject) => {
      const requestId = this.nextRequest++;
      const waiter: Waiter = { request, resolve, reject, cancelled: false };
      this.waiters.set(requestId, waiter);
      this.pendingByKey.set(key, (this.pendingByKey.get(key) ?? 0) + 1);
      if (request.signal) {
        const signal = request.signal;
        waiter.onAbort = () => {
          if (waiter.cancelled || !this.waiters.has(requestId)) return;
          waiter.cancelled = true;
          this.forget(requestId, key);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.serialize(async () => {
        await this.queue.enqueue(key, { requestId, client: request.client });
        await this.pump(key);
      });
    });
  }

  state(): TrackerState {
    const servers = this.servers.map((s): ServerStatus => {
      const h = s.health();
      const client = this.holder.get(s.index);
      return {
        index: s.index,
        key: serverKey(s.slice.mechanism, s.percent),
        mechanism: s.slice.mechanism,
        sms: s.slice.sms,
        percent: s.percent,
        alive: h.alive,
        restarts: h.restarts,
        ...(client === undefined ? {} : { client }),
        leases: this.leaseCounts.get(s.index) ?? 0,
      };
    });
    const keys = [...new Set(servers.map((s) => s.key))];
    const queues = keys.map((key): QueueStatus => {
      const of = servers.filter((s) => s.key === key);
      return {
        key,
        total: of.length,
        free: of.filter((s) => s.alive && s.client === undefined).length,
        pending: this.pendingByKey.get(key) ?? 0,
      };
    });
    return {
      servers,
      queues,
      free: queues.reduce((a, q) => a + q.free, 0),
      pending: queues.reduce((a, q) => a + q.pending, 0),
    };
  }

  /** Stops the health checks and fails every waiting request. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.failAll(new SlicetuneError('INTERNAL', 'the tracker closed while a client waited for a server'));
  }

  private failAll(e: unknown): void {
    for (const w of this.waiters.values()) {
      w.cancelled = true;
      if (w.onAbort) w.request.signal?.removeEventListener('abort', w.onAbort);
      w.reject(e);
    }
    this.waiters.clear();
    this.pendingByKey.clear();
  }

  private keyFor(request: ServerRequest): string {
    const match = this.servers.find(
      (s) =>
        s.percent === request.percent &&
        (request.mechanism === undefined || s.slice.mechanism === request.mechanism),
    );
    if (!match) {
      const have = [...new Set(this.servers.map((s) => serverKey(s.slice.mechanism, s.percent)))].join(', ');
      const asked = `${request.mechanism ?? 'any mechanism'} at ${request.percent}%`;
      throw new SlicetuneError('SLICE_UNAVAILABLE', `no measurement server for ${asked} (servers: ${have})`);
    }
    return serverKey(match.slice.mechanism, match.percent);
  }

  /** Hands free servers of `key` to waiting requests, oldest first. */
  private async pump(key: string): Promise<void> {
    while (!this.closed && (await this.queue.size(key)) > 0) {
      const free = this.freeServers(key);
      if (free.length === 0) return;
      const job = await this.queue.dequeue(key);
      if (!job) return;
      await this.queue.ack(key, job.id);
      const waiter = this.waiters.get(job.payload.requestId);
      if (!waiter || waiter.cancelled) continue;
      const preferred = free.find((s) => s.index === waiter.request.prefer);
      this.grant(job.payload.requestId, key, waiter, preferred ?? (free[0] as TrackedServer));
    }
  }

  private grant(requestId: number, key: string, waiter: Waiter, server: TrackedServer): void {
    this.forget(requestId, key);
    this.holder.set(server.index, waiter.request.client);
    this.leaseCounts.set(server.index, (this.leaseCounts.get(server.index) ?? 0) + 1);
    let released = false;
    waiter.resolve({
      server: server.index,
      slice: server.slice,
      release: () => {
        if (released) return;
        released = true;
        this.holder.delete(server.index);
        this.serialize(() => this.pump(key));
      },
    });
  }

  private forget(requestId: number, key: string): void {
    const waiter = this.waiters.get(requestId);
    if (!waiter) return;
    this.waiters.delete(requestId);
    // A long run asks for servers thousands of times on one signal: drop each listener.
    if (waiter.onAbort) waiter.request.signal?.removeEventListener('abort', waiter.onAbort);
    this.pendingByKey.set(key, Math.max(0, (this.pendingByKey.get(key) ?? 0) - 1));
  }

  private freeServers(key: string): TrackedServer[] {
    return this.servers.filter(
      (s) => serverKey(s.slice.mechanism, s.percent) === key && !this.holder.has(s.index) && s.health().alive,
    );
  }

  private serialize(op: () => Promise<void>): void {
    // A queue backend that fails loses no lease: fail the waiters so their clients stop.
    this.ops = this.ops.then(op).catch((e: unknown) => this.failAll(e));
  }

  /** Revives runners down for a while with nothing leased on them; gives servers that came back. */
  private checkHealth(): void {
    const now = Date.now();
    const groups = new Map<string, TrackedServer[]>();
    for (const s of this.servers) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
    for (const [group, members] of groups) {
      const down = members.some((s) => !s.health().alive);
      if (!down) {
        this.downSince.delete(group);
        continue;
      }
      const since = this.downSince.get(group) ?? now;
      this.downSince.set(group, since);
      const leased = members.some((s) => this.holder.has(s.index));
      const revive = members[0]?.revive;
      if (now - since < this.reviveAfterMs || leased || !revive || this.reviving.has(group)) continue;
      this.reviving.add(group);
      revive()
        .catch(() => {
          // Tried again at the next check.
        })
        .finally(() => {
          this.reviving.delete(group);
          this.downSince.delete(group);
        });
    }
    for (const key of this.pendingByKey.keys()) this.serialize(() => this.pump(key));
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new SlicetuneError('INTERNAL', 'stopped while waiting for a server');
}
