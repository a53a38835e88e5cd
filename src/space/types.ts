/**
 * The search space as data (TVM's define_split / define_knob, tinygrad's Opt list): templates
 * declare knobs, and every strategy works on the same Config objects through ConfigSpace.
 */
import type { Rng } from '../util/rng.js';

export type Knob =
  /** A loop of `extent` factored into `parts` factors whose product is `extent` (outermost first). */
  | { kind: 'split'; name: string; extent: number; parts: number; maxFactors?: readonly (number | null)[] }
  | { kind: 'choice'; name: string; options: readonly (number | string)[] }
  | { kind: 'bool'; name: string };

export type KnobValue = readonly number[] | number | string | boolean;

/** A point of a space: knob name -> value. Plain data; `ConfigSpace.key` gives its stable key. */
export type Config = Readonly<Record<string, KnobValue>>;

export interface ConfigSpace {
  readonly knobs: readonly Knob[];
  /** Points before validity constraints (product of the knobs' sizes). */
  readonly rawSize: number;
  /** Why a config is invalid (threads, shared memory, registers...), or null when it is valid. */
  invalidReason(config: Config): string | null;
  isValid(config: Config): boolean;
  /** Stable key of a config (same config -> same key across runs and machines). */
  key(config: Config): string;
  /** Number of valid configs (exact when enumerable within a budget, else an estimate). */
  validSize(options?: { exactLimit?: number }): { count: number; exact: boolean };
  /** Every valid config, lazily, in a fixed order (grid search). */
  enumerate(): Iterable<Config>;
  /** A uniformly drawn valid config; throws when none is found after many tries. */
  sample(rng: Rng): Config;
  /** A valid config that differs from `config` in one or a few knobs. */
  mutate(config: Config, rng: Rng): Config;
  /** A valid child taking each knob from one of the parents. */
  crossover(a: Config, b: Config, rng: Rng): Config;
  /** Numeric feature vector of a config (for the cost model); fixed length for one space. */
  features(config: Config): number[];
  featureNames(): string[];
}
