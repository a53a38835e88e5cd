/** Every strategy by name; the CLI derives its `--strategy` choices from these keys. */
import { SlicetuneError } from '../../util/errors.js';
import type { Strategy, StrategyFactory, StrategyOptions } from '../types.js';
import { ga } from './ga.js';
import { grid } from './grid.js';
import { model } from './model.js';
import { random } from './random.js';

export const STRATEGIES = { random, grid, ga, model } satisfies Record<string, StrategyFactory>;

export type StrategyName = keyof typeof STRATEGIES;

export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];

/** The strategy registered under `name`; an unknown name is a BAD_OPTION naming the choices. */
export function makeStrategy(name: string, options: StrategyOptions): Strategy {
  assertStrategyName(name);
  return STRATEGIES[name](options);
}

/** Throws the BAD_OPTION of an unknown strategy name (before a thread is asked to build it). */
export function assertStrategyName(name: string): asserts name is StrategyName {
  if (!Object.hasOwn(STRATEGIES, name)) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `unknown search strategy '${name}' (choose one of: ${STRATEGY_NAMES.join(', ')})`,
    );
  }
}
