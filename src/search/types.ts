/**
 * The contract of the search layer: a Strategy proposes configs and learns from measured Trials;
 * the tune loop measures them through a Measurer and never knows about GPUs.
 */
import type { MeasureResult } from '../measure/types.js';
import type { Config, ConfigSpace } from '../space/types.js';
import type { Rng } from '../util/rng.js';

/** One measured config. Failures are trials too: cost Infinity, never an exception. */
export interface Trial {
  config: Config;
  configKey: string;
  /** Milliseconds; Infinity for failures. */
  cost: number;
  result?: MeasureResult;
}

/** What a strategy may look at when it proposes or learns. */
export interface SearchContext {
  space: ConfigSpace;
  rng: Rng;
  /** Every trial known so far (resumed ones first), in measurement order. */
  history: readonly Trial[];
  measuredKeys: ReadonlySet<string>;
}

export interface Strategy {
  readonly name: string;
  /** Propose up to n new configs not yet measured (fewer, or none, when the space runs out). */
  propose(n: number, ctx: SearchContext): Config[] | Promise<Config[]>;
  /** Learn from measured trials (called once with resumed trials, then after every batch). */
  update(trials: readonly Trial[], ctx: SearchContext): void | Promise<void>;
}

/**
 * A point the cost model learns from before measuring anything (transfer): the feature vector of
 * a config in the target space and its cost relative to the best of its source group (>= 1).
 */
export interface PriorPoint {
  features: number[];
  cost: number;
  /** Trust in this point, (0, 1]; 1 when absent. */
  weight?: number;
  /** The source config, when it is valid in the target space: the search may start from it. */
  config?: Config;
  /** Features of the source (e.g. log2 of its share); used when the strategy has a `context`. */
  context?: number[];
}

export interface StrategyOptions {
  seed: number;
  /** Configs per measured batch (the strategies size their populations from it). */
  batchSize: number;
  /** Transfer data for the model strategy (ignored by the others). */
  prior?: readonly PriorPoint[];
  /**
   * Features of the tuning target the model appends to every config's (e.g. `shareContext(25)`);
   * transfer points carry their source's, so the model can learn what differs between them.
   */
  context?: readonly number[];
}

export type StrategyFactory = (options: StrategyOptions) => Strategy;

/** Measures a batch of configs; the result list names each config it measured. */
export type Measurer = (configs: Config[]) => Promise<{ config: Config; result: MeasureResult }[]>;
