/**
 * Evolutionary search over the cost model's predictions (Ansor's sketch-free variant): a
 * population seeded from the best measured configs and random ones breeds by crossover and
 * mutation for a few generations, the predicted-fastest survive, and every unmeasured config
 * bred is a candidate for the next batch.
 */
import type { Config, ConfigSpace } from '../space/types.js';
import type { Rng } from '../util/rng.js';
import type { Candidate } from './annealing.js';

export interface EvolveOptions {
  space: ConfigSpace;
  rng: Rng;
  /** Predicted scores, higher is faster. */
  score: (configs: Config[]) => number[];
  starts: readonly Config[];
  generations: number;
  /** Children bred per generation. */
  children: number;
  crossoverRate: number;
  /** Keys that are never candidates (measured already). */
  exclude: ReadonlySet<string>;
}

export function evolve(options: EvolveOptions): Candidate[] {
  const { space, rng, score, exclude } = options;
  const visited = new Map<string, Candidate>();
  const scoreAll = (configs: Config[]): Candidate[] => {
    const scores = score(configs);
    return configs.map((config, i) => ({
      config,
      key: space.key(config),
      score: scores[i] ?? Number.NEGATIVE_INFINITY,
    }));
  };
  let population = dedupe(scoreAll([...options.starts]));
  const size = population.length;
  for (const c of population) if (!exclude.has(c.key)) visited.set(c.key, c);

  const tournament = (): Config => {
    const a = rng.pick(population);
    const b = rng.pick(population);
    return (a.score >= b.score ? a : b).config;
  };
  for (let g = 0; g < options.generations; g++) {
    const bred: Config[] = [];
    for (let i = 0; i < options.children; i++) {
      const parent = tournament();
      const child = rng.next() < options.crossoverRate ? space.crossover(parent, tournament(), rng) : parent;
      // Mutating every child keeps it off its parents (crossover of near-twins repeats them).
      bred.push(space.mutate(child, rng));
    }
    const scored = dedupe(scoreAll(bred)).filter((c) => !visited.has(c.key) && !exclude.has(c.key));
    for (const c of scored) visited.set(c.key, c);
    population = dedupe([...population, ...scored])
      .sort((a, b) => b.score - a.score)
      .slice(0, size);
  }
  return [...visited.values()].sort((a, b) => b.score - a.score);
}

function dedupe(candidates: readonly Candidate[]): Candidate[] {
  const seen = new Map<string, Candidate>();
  for (const c of candidates) if (!seen.has(c.key)) seen.set(c.key, c);
  return [...seen.values()];
}
