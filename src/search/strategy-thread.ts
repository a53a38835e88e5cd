/**
 * Strategies that run in a worker thread. The model strategy refits its forest and searches over
 * its predictions for every batch: tens of milliseconds of CPU. A model-tuning run has several
 * clients (in the paper, separate tuner processes), and on one Node.js main thread their
 * proposals would queue behind each other and behind the IPC of every server and compile worker.
 * One StrategyThread per client gives each client its own core, as its own process would.
 *
 * The thread keeps a mirror of each task's search context: the space is rebuilt there from the
 * template, workload and device; history deltas travel with every message; the context's random
 * stream starts from the same seed as the session's. So a strategy in a thread proposes exactly
 * what it would propose in-process (test/search/strategy-thread.test.ts holds it to that).
 */
import type { Worker } from 'node:worker_threads';
import type { DeviceInfo } from '../gpu/types.js';
import type { Workload } from '../ops/index.js';
import type { Config } from '../space/types.js';
import { startWorker } from '../util/entry.js';
import { SlicetuneError } from '../util/errors.js';
import { assertStrategyName } from './strategies/index.js';
import type { SearchContext, Strategy, StrategyOptions, Trial } from './types.js';

/** What the thread needs to rebuild a task's space and strategy. */
export interface ThreadStrategySpec {
  template: string;
  workload: Workload;
  device: DeviceInfo;
  strategy: string;
  options: StrategyOptions;
  /** Seed of the tuning session whose context the strategy sees (its `rng`). */
  sessionSeed: number;
}

/** A trial as it crosses to the thread: what strategies read. */
export interface WireTrial {
  config: Config;
  configKey: string;
  cost: number;
}

export type ThreadRequest =
  | { type: 'create'; id: number; spec: ThreadStrategySpec }
  | { type: 'update'; id: number; append: WireTrial[]; trials: string[] }
  | { type: 'propose'; id: number; request: number; n: number; append: WireTrial[] };

export type ThreadReply =
  | { type: 'proposed'; request: number; configs: Config[] }
  | { type: 'failed'; request: number; message: string };

interface Pending {
  resolve: (configs: Config[]) => void;
  reject: (e: Error) => void;
}

export class StrategyThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextStrategy = 0;
  private nextRequest = 0;
  private broken: Error | undefined;

  constructor() {
    this.worker = startWorker(import.meta.url, 'strategy-thread-worker');
    this.worker.on('message', (reply: ThreadReply) => this.settle(reply));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`strategy thread exited (code ${code})`)));
    this.worker.unref();
  }

  /** A strategy living in this thread; proposals are asynchronous, updates are posted. */
  strategy(spec: ThreadStrategySpec): Strategy {
    assertStrategyName(spec.strategy);
    const id = this.nextStrategy++;
    this.worker.postMessage({ type: 'create', id, spec } satisfies ThreadRequest);
    let sent = 0;
    // The history only grows; each message carries what the thread has not seen yet.
    const delta = (ctx: SearchContext): WireTrial[] => {
      const append = ctx.history.slice(sent).map(wireTrial);
      sent = ctx.history.length;
      return append;
    };
    return {
      name: spec.strategy,
      propose: (n, ctx) => this.propose({ type: 'propose', id, n, append: delta(ctx) }),
      update: (trials: readonly Trial[], ctx) => {
        this.post({ type: 'update', id, append: delta(ctx), trials: trials.map((t) => t.configKey) });
      },
    };
  }

  async close(): Promise<void> {
    this.broken ??= new Error('strategy thread closed');
    await this.worker.terminate();
  }

  private post(message: ThreadRequest): void {
    if (this.broken) throw threadError(this.broken);
    this.worker.postMessage(message);
  }

  /** Posts a proposal request under a fresh request number and waits for its reply. */
  private propose(message: Omit<ThreadRequest & { type: 'propose' }, 'request'>): Promise<Config[]> {
    if (this.broken) return Promise.reject(threadError(this.broken));
    const request = this.nextRequest++;
    return new Promise<Config[]>((resolve, reject) => {
      this.pending.set(request, { resolve, reject });
      // Held while a proposal is out, so the process cannot exit under an awaited promise.
      this.worker.ref();
      this.worker.postMessage({ ...message, request });
    });
  }

  private settle(reply: ThreadReply): void {
    const p = this.pending.get(reply.request);
    if (!p) return;
    this.pending.delete(reply.request);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.type === 'proposed') p.resolve(reply.configs);
    else p.reject(new SlicetuneError('INTERNAL', `search strategy failed in its thread: ${reply.message}`));
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const p of this.pending.values()) p.reject(threadError(e));
    this.pending.clear();
  }
}

function wireTrial(t: Trial): WireTrial {
  return { config: t.config, configKey: t.configKey, cost: t.cost };
}

function threadError(e: Error): SlicetuneError {
  return new SlicetuneError('INTERNAL', `search strategy thread failed: ${e.message}`);
}
