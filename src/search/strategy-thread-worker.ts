/**
 * The worker side of strategy-thread.ts: strategies by id, each with a mirror of its task's search
 * context. Messages are handled strictly in order (an update posted before a proposal is learnt
 * from before it), and a failing strategy answers its next proposal with the error.
 */
import { parentPort } from 'node:worker_threads';
import type { Config, ConfigSpace } from '../space/types.js';
import { getTemplate } from '../templates/index.js';
import { Rng } from '../util/rng.js';
import { makeStrategy } from './strategies/index.js';
import type { ThreadReply, ThreadRequest, WireTrial } from './strategy-thread.js';
import type { SearchContext, Strategy, Trial } from './types.js';

interface Hosted {
  strategy: Strategy;
  space: ConfigSpace;
  rng: Rng;
  history: Trial[];
  byKey: Map<string, Trial>;
  measuredKeys: Set<string>;
  failure: string | undefined;
}

const hosted = new Map<number, Hosted>();
let queue: Promise<void> = Promise.resolve();

/** Why a strategy could not be built (unknown template...): its proposals answer with it. */
const unbuilt = new Map<number, string>();

parentPort?.on('message', (m: ThreadRequest) => {
  queue = queue
    .then(() => handle(m))
    .catch((e: unknown) => {
      // A failure outside a strategy (a bug here) must not stall the messages behind it.
      if (m.type === 'propose') reply({ type: 'failed', request: m.request, message: messageOf(e) });
    });
});

async function handle(m: ThreadRequest): Promise<void> {
  if (m.type === 'create') {
    const { spec } = m;
    try {
      hosted.set(m.id, {
        strategy: makeStrategy(spec.strategy, spec.options),
        space: getTemplate(spec.template).space(spec.workload, spec.device),
        rng: new Rng(spec.sessionSeed),
        history: [],
        byKey: new Map(),
        measuredKeys: new Set(),
        failure: undefined,
      });
    } catch (e) {
      unbuilt.set(m.id, messageOf(e));
    }
    return;
  }
  const h = hosted.get(m.id);
  if (!h) {
    const message = unbuilt.get(m.id) ?? `no strategy ${m.id} in this thread`;
    if (m.type === 'propose') reply({ type: 'failed', request: m.request, message });
    return;
  }
  append(h, m.append);
  if (m.type === 'update') {
    if (h.failure) return;
    try {
      const trials = m.trials.map((k) => h.byKey.get(k)).filter((t): t is Trial => t !== undefined);
      await h.strategy.update(trials, contextOf(h));
    } catch (e) {
      h.failure = messageOf(e);
    }
    return;
  }
  if (h.failure) return reply({ type: 'failed', request: m.request, message: h.failure });
  try {
    const configs: Config[] = await h.strategy.propose(m.n, contextOf(h));
    reply({ type: 'proposed', request: m.request, configs });
  } catch (e) {
    reply({ type: 'failed', request: m.request, message: messageOf(e) });
  }
}

function append(h: Hosted, trials: readonly WireTrial[]): void {
  for (const t of trials) {
    if (h.measuredKeys.has(t.configKey)) continue;
    const trial: Trial = { config: t.config, configKey: t.configKey, cost: t.cost };
    h.measuredKeys.add(t.configKey);
    h.byKey.set(t.configKey, trial);
    h.history.push(trial);
  }
}

function contextOf(h: Hosted): SearchContext {
  return { space: h.space, rng: h.rng, history: h.history, measuredKeys: h.measuredKeys };
}

function reply(r: ThreadReply): void {
  parentPort?.postMessage(r);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
