/** Random search without replacement: the baseline every other strategy must beat. */
import { sampleUnmeasured } from '../sampling.js';
import type { Strategy, StrategyFactory } from '../types.js';

export const random: StrategyFactory = (): Strategy => ({
  name: 'random',
  propose: (n, ctx) => sampleUnmeasured(ctx.space, ctx.rng, n, ctx.measuredKeys),
  update: () => {},
});
