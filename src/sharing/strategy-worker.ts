/** The worker side of strategy-thread.ts: one task's strategy, its space and its history. */
import { parentPort, workerData } from 'node:worker_threads';
import { makeStrategy } from '../search/strategies/index.js';
import type { Trial } from '../search/types.js';
import { getTemplate } from '../templates/index.js';
import { Rng } from '../util/rng.js';
import type { ProposeReply, ProposeRequest, StrategyThreadInit } from './strategy-thread.js';

const init = workerData as StrategyThreadInit;
const space = getTemplate(init.template).space(init.workload, init.device);
const strategy = makeStrategy(init.strategy, init.options);
const rng = new Rng(init.options.seed);
const history: Trial[] = [];
const measuredKeys = new Set<string>();

const port = parentPort;
port?.on('message', async (req: ProposeRequest) => {
  history.push(...req.trials);
  for (const k of req.keys) measuredKeys.add(k);
  let reply: ProposeReply;
  try {
    const configs = await strategy.propose(req.n, { space, rng, history, measuredKeys });
    reply = { id: req.id, configs };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
