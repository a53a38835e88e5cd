/**
 * Simulated annealing over the cost model's predictions (AutoTVM's SimulatedAnnealingOptimizer):
 * a set of walkers mutate their configs and accept worse ones with a probability that falls with
 * the temperature. Every unmeasured config visited is a candidate for the next batch.
 */
import type { Config, ConfigSpace } from '../space/types.js';
import type { Rng } from '../util/rng.js';

export interface Candidate {
  config: Config;
  key: string;
  score: number;
}

export interface AnnealOptions {
  space: ConfigSpace;
  rng: Rng;
  /** Predicted scores, higher is faster. */
  score: (configs: Config[]) => number[];
  starts: readonly Config[];
  steps: number;
  /** Temperature at the first and the last step, in score units. */
  temperature: readonly [number, number];
  /** Keys that are never candidates (measured already). */
  exclude: ReadonlySet<string>;
}

export function anneal(options: AnnealOptions): Candidate[] {
  const { space, rng, score, steps, exclude } = options;
  const [t0, t1] = options.temperature;
  const visited = new Map<string, Candidate>();
  const remember = (config: Config, key: string, s: number): void => {
    if (!exclude.has(key) && !visited.has(key)) visited.set(key, { config, key, score: s });
  };
  let walkers = options.starts.map((config) => ({ config, key: space.key(config), score: 0 }));
  const startScores = score(walkers.map((w) => w.config));
  walkers = walkers.map((w, i) => ({ ...w, score: startScores[i] ?? 0 }));
  for (const w of walkers) remember(w.config, w.key, w.score);

  for (let step = 0; step < steps; step++) {
    const temperature = t0 + ((t1 - t0) * step) / Math.max(1, steps - 1);
    const moved = walkers.map((w) => space.mutate(w.config, options.rng));
    const movedScores = score(moved);
    walkers = walkers.map((w, i) => {
      const config = moved[i] as Config;
      const s = movedScores[i] ?? Number.NEGATIVE_INFINITY;
      const key = space.key(config);
      remember(config, key, s);
      const accept = s >= w.score || (temperature > 0 && rng.next() < Math.exp((s - w.score) / temperature));
      return accept ? { config, key, score: s } : w;
    });
  }
  return [...visited.values()].sort((a, b) => b.score - a.score);
}
