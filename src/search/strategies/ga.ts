/**
 * Genetic algorithm (AutoTVM's GATuner, with tournament selection): parents are drawn by
 * tournament from a population built from the history (the elites plus the latest generation),
 * children come from crossover and mutation, and only unmeasured children are proposed.
 */
import type { Config } from '../../space/types.js';
import type { Rng } from '../../util/rng.js';
import { sampleUnmeasured } from '../sampling.js';
import type { SearchContext, Strategy, StrategyOptions, Trial } from '../types.js';

export interface GaOptions {
  /** Parents per generation; defaults to max(16, 2 × batch size). */
  populationSize?: number;
  /** Best configs ever seen that stay in every population. */
  eliteCount?: number;
  tournamentSize?: number;
  crossoverRate?: number;
  mutationRate?: number;
}

/** Tries per wanted child before the rest of the batch is drawn at random. */
const TRIES_PER_CHILD = 20;

export function makeGa(options: StrategyOptions & GaOptions): Strategy {
  const populationSize = options.populationSize ?? Math.max(16, 2 * options.batchSize);
  const eliteCount = options.eliteCount ?? Math.max(2, Math.floor(populationSize / 4));
  const tournamentSize = options.tournamentSize ?? 3;
  const crossoverRate = options.crossoverRate ?? 0.8;
  const mutationRate = options.mutationRate ?? 0.3;

  function population(history: readonly Trial[]): Trial[] {
    const ok = history.filter((t) => Number.isFinite(t.cost));
    const elites = [...ok].sort((a, b) => a.cost - b.cost).slice(0, eliteCount);
    const chosen = new Map(elites.map((t) => [t.configKey, t]));
    for (let i = ok.length - 1; i >= 0 && chosen.size < populationSize; i--) {
      const t = ok[i] as Trial;
      if (!chosen.has(t.configKey)) chosen.set(t.configKey, t);
    }
    return [...chosen.values()];
  }

  function tournament(pop: readonly Trial[], rng: Rng): Config {
    let winner = rng.pick(pop);
    for (let i = 1; i < tournamentSize; i++) {
      const rival = rng.pick(pop);
      if (rival.cost < winner.cost) winner = rival;
    }
    return winner.config;
  }

  return {
    name: 'ga',
    propose(n: number, ctx: SearchContext): Config[] {
      const { space, rng } = ctx;
      const pop = population(ctx.history);
      // Too few survivors to breed from: explore first.
      if (pop.length < Math.min(4, populationSize)) return sampleUnmeasured(space, rng, n, ctx.measuredKeys);
      const picked: Config[] = [];
      const taken = new Set(ctx.measuredKeys);
      for (let tries = 0; picked.length < n && tries < TRIES_PER_CHILD * n; tries++) {
        const a = tournament(pop, rng);
        let child = rng.next() < crossoverRate ? space.crossover(a, tournament(pop, rng), rng) : a;
        if (rng.next() < mutationRate || taken.has(space.key(child))) child = space.mutate(child, rng);
        const key = space.key(child);
        if (taken.has(key)) continue;
        taken.add(key);
        picked.push(child);
      }
      if (picked.length < n) picked.push(...sampleUnmeasured(space, rng, n - picked.length, taken));
      return picked;
    },
    update: () => {},
  };
}

export const ga = (options: StrategyOptions): Strategy => makeGa(options);
