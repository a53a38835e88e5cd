/**
 * A search strategy run in a worker thread. The model strategy refits its forest and runs an
 * evolutionary search for every batch (100+ ms), and every client of a shared run proposes on the
 * one main thread, which then bounds the whole run: on the H100 (docs/RESULTS.md, bench/sharing
 * b) four 25% servers took 11-12 s for 512 trials with `model` and 3 s with `random`.
 *
 * The worker rebuilds the task's config space from (template, workload, device), keeps its own
 * copy of the history (sent to it incrementally with each proposal) and its own random stream.
 * If the worker fails, the strategy goes on in this thread: the model strategy learns from the
 * history it is handed, so nothing is lost but speed.
 */
import type { Worker } from 'node:worker_threads';
import type { DeviceInfo } from '../gpu/types.js';
import type { Workload } from '../ops/index.js';
import { makeStrategy } from '../search/strategies/index.js';
import type { SearchContext, Strategy, StrategyOptions, Trial } from '../search/types.js';
import type { Config } from '../space/types.js';
import { startWorker } from '../util/entry.js';

export interface StrategyThreadInit {
  strategy: string;
  options: StrategyOptions;
  template: string;
  workload: Workload;
  device: DeviceInfo;
}

/** What the worker is sent with each proposal: what it has not seen yet. */
export interface ProposeRequest {
  id: number;
  n: number;
  trials: Pick<Trial, 'config' | 'configKey' | 'cost'>[];
  keys: string[];
}

export type ProposeReply = { id: number; configs: Config[] } | { id: number; error: string };

export interface ThreadStrategy extends Strategy {
  /** Whether proposals still come from the worker (false after it failed). */
  readonly onThread: boolean;
  close(): Promise<void>;
}

export function threadStrategy(init: StrategyThreadInit): ThreadStrategy {
  let worker: Worker | undefined = startWorker(import.meta.url, 'strategy-worker', { workerData: init });
  let local: Strategy | undefined;
  let sentTrials = 0;
  let sentKeys = 0;
  let nextId = 0;
  const pending = new Map<number, { resolve: (c: Config[]) => void; reject: (e: Error) => void }>();

  const fail = (e: Error) => {
    worker = undefined;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (reply: ProposeReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) worker?.unref();
    if ('error' in reply) p?.reject(new Error(reply.error));
    else p?.resolve(reply.configs);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`strategy worker exited (code ${code})`)));
  worker.unref();

  const inThisThread = (): Strategy => {
    local ??= makeStrategy(init.strategy, init.options);
    return local;
  };

  function remote(n: number, ctx: SearchContext): Promise<Config[]> {
    const w = worker as Worker;
    const keys = [...ctx.measuredKeys];
    const request: ProposeRequest = {
      id: nextId++,
      n,
      trials: ctx.history
        .slice(sentTrials)
        .map(({ config, configKey, cost }) => ({ config, configKey, cost })),
      keys: keys.slice(sentKeys),
    };
    sentTrials = ctx.history.length;
    sentKeys = keys.length;
    return new Promise((resolve, reject) => {
      pending.set(request.id, { resolve, reject });
      w.ref();
      w.postMessage(request);
    });
  }

  return {
    name: init.strategy,
    get onThread() {
      return worker !== undefined;
    },
    async propose(n, ctx) {
      if (worker) {
        try {
          return await remote(n, ctx);
        } catch {
          worker?.terminate();
          worker = undefined;
        }
      }
      return inThisThread().propose(n, ctx);
    },
    // The worker sees every trial with the next proposal; the model strategy learns lazily.
    update: (trials, ctx) => local?.update(trials, ctx),
    async close() {
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}
