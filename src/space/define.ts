/** defineSpace: a ConfigSpace from knobs, validity constraints and derived features. */
import { Rng } from '../util/rng.js';
import { type Constraint, SpaceCore } from './core.js';
import { enumerateValid } from './enumerate.js';
import { crossover, mutate } from './evolve.js';
import { type FeatureFn, Featurizer } from './features.js';
import { Sampler } from './sample.js';
import type { Config, ConfigSpace, Knob } from './types.js';

export interface SpaceDefinition {
  knobs: Knob[];
  constraints?: Constraint[];
  features?: FeatureFn;
  /** Used in error messages, e.g. `conv2d_direct conv2d.f32.n1...`. */
  name?: string;
}

const DEFAULT_EXACT_LIMIT = 2e6;
const ESTIMATE_DRAWS = 20_000;
/** Fixed seed: the estimated size of a space is the same on every run. */
const ESTIMATE_SEED = 0x51c3;

class Space implements ConfigSpace {
  readonly knobs: readonly Knob[];
  readonly rawSize: number;
  private readonly core: SpaceCore;
  private readonly sampler: Sampler;
  private readonly featurizer: Featurizer;
  private exactCount: number | undefined;
  private estimatedCount: number | undefined;

  constructor(def: SpaceDefinition) {
    this.core = new SpaceCore(def.name ?? 'space', [...def.knobs], [...(def.constraints ?? [])]);
    this.knobs = this.core.knobs;
    this.rawSize = this.core.domains.reduce((product, d) => product * d.length, 1);
    this.sampler = new Sampler(this.core, this.rawSize);
    this.featurizer = new Featurizer(this.core, def.features);
  }

  invalidReason(config: Config): string | null {
    return this.core.invalidReason(config);
  }

  isValid(config: Config): boolean {
    return this.core.invalidReason(config) === null;
  }

  key(config: Config): string {
    return this.core.key(config);
  }

  validSize(options?: { exactLimit?: number }): { count: number; exact: boolean } {
    if (this.rawSize <= (options?.exactLimit ?? DEFAULT_EXACT_LIMIT)) {
      this.exactCount ??= this.countValid();
      return { count: this.exactCount, exact: true };
    }
    this.estimatedCount ??= this.estimateValid();
    return { count: this.estimatedCount, exact: false };
  }

  private countValid(): number {
    let count = 0;
    for (const _ of enumerateValid(this.core)) count++;
    return count;
  }

  /** Valid share of a seeded uniform sample, times the raw size. */
  private estimateValid(): number {
    const rng = new Rng(ESTIMATE_SEED);
    let valid = 0;
    for (let i = 0; i < ESTIMATE_DRAWS; i++) {
      if (this.core.constraintReason(this.core.randomConfig(rng)) === null) valid++;
    }
    return Math.round((valid / ESTIMATE_DRAWS) * this.rawSize);
  }

  enumerate(): Iterable<Config> {
    return { [Symbol.iterator]: () => enumerateValid(this.core) };
  }

  sample(rng: Rng): Config {
    return this.sampler.sample(rng);
  }

  mutate(config: Config, rng: Rng): Config {
    return mutate(this.core, this.sampler, config, rng);
  }

  crossover(a: Config, b: Config, rng: Rng): Config {
    return crossover(this.core, this.sampler, a, b, rng);
  }

  features(config: Config): number[] {
    return this.featurizer.features(config);
  }

  featureNames(): string[] {
    return this.featurizer.featureNames();
  }
}

/**
 * A ConfigSpace from knobs (split / choice / bool), constraints (each returns null when the config
 * is fine, else the reason) and an optional function of derived features for the cost model.
 */
export function defineSpace(def: SpaceDefinition): ConfigSpace {
  return new Space(def);
}
