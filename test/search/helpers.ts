/** Shared by the search tests: how many trials a strategy needs to reach a target latency. */
import { TuneSession } from '../../src/search/session.js';
import type { Measurer, Strategy } from '../../src/search/types.js';
import type { ConfigSpace } from '../../src/space/types.js';

/** Trials until the best is at most `target` ms; `cap + 1` when the cap runs out first. */
export async function trialsToReach(options: {
  space: ConfigSpace;
  strategy: Strategy;
  measure: Measurer;
  target: number;
  cap: number;
  batchSize: number;
  seed: number;
}): Promise<number> {
  const session = new TuneSession(options);
  while (session.measuredCount < options.cap && !session.exhausted) {
    const batch = await session.step(Math.min(options.batchSize, options.cap - session.measuredCount));
    const hit = batch.findIndex((t) => t.cost <= options.target);
    if (hit >= 0) return session.measuredCount - batch.length + hit + 1;
  }
  return options.cap + 1;
}
