/**
 * One task's tuning state, advanced a batch at a time: the strategy proposes, the measurer
 * measures, the history grows. `tune()` drives it to a budget; the task scheduler drives many.
 * A config whose key is known (resumed from the store or measured here) is never measured again.
 */
import { costOf, FAILURE_KINDS, type FailureKind } from '../measure/types.js';
import type { Config, ConfigSpace } from '../space/types.js';
import { SlicetuneError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Measurer, SearchContext, Strategy, Trial } from './types.js';

/** Proposals made only of known configs this many times in a row mean the strategy is spent. */
const STALLS_BEFORE_EXHAUSTED = 3;

export interface SessionOptions {
  space: ConfigSpace;
  strategy: Strategy;
  measure: Measurer;
  seed: number;
  /** Trials from the record store: learnt from, never measured again. */
  alreadyMeasured?: readonly Trial[];
}

export class TuneSession {
  readonly history: Trial[] = [];
  readonly errors: Record<FailureKind, number> = emptyErrorCounts();
  /** Trials measured by this session (resumed ones excluded). */
  measuredCount = 0;
  exhausted = false;
  private readonly keys = new Set<string>();
  private readonly rng: Rng;
  private bestTrial: Trial | undefined;
  private stalls = 0;
  private started = false;

  constructor(private readonly options: SessionOptions) {
    this.rng = new Rng(options.seed);
    for (const t of options.alreadyMeasured ?? []) this.record(t);
  }

  get best(): Trial | undefined {
    return this.bestTrial;
  }

  get context(): SearchContext {
    return { space: this.options.space, rng: this.rng, history: this.history, measuredKeys: this.keys };
  }

  /** Measures up to n new configs; returns the new trials (empty when the search is exhausted). */
  async step(n: number): Promise<Trial[]> {
    const { space, strategy, measure } = this.options;
    if (!this.started) {
      this.started = true;
      if (this.history.length > 0) await strategy.update([...this.history], this.context);
    }
    if (this.exhausted || n <= 0) return [];
    const fresh = this.freshConfigs(await strategy.propose(n, this.context), n);
    if (fresh.length === 0) {
      this.stalls++;
      if (this.stalls >= STALLS_BEFORE_EXHAUSTED) this.exhausted = true;
      return [];
    }
    this.stalls = 0;
    const measured = await measure(fresh);
    const trials: Trial[] = [];
    for (const { config, result } of measured) {
      const configKey = space.key(config);
      if (this.keys.has(configKey)) continue;
      const trial: Trial = { config, configKey, cost: costOf(result), result };
      this.record(trial);
      this.measuredCount++;
      if (!result.ok) this.errors[result.kind]++;
      trials.push(trial);
    }
    await strategy.update(trials, this.context);
    return trials;
  }

  /** New, distinct proposals, at most n; a strategy proposing an invalid config is a bug. */
  private freshConfigs(proposed: readonly Config[], n: number): Config[] {
    const { space, strategy } = this.options;
    const fresh: Config[] = [];
    const seen = new Set<string>();
    for (const config of proposed) {
      const key = space.key(config);
      if (this.keys.has(key) || seen.has(key)) continue;
      const invalid = space.invalidReason(config);
      if (invalid !== null) {
        throw new SlicetuneError(
          'INTERNAL',
          `strategy '${strategy.name}' proposed an invalid config: ${invalid}`,
        );
      }
      seen.add(key);
      fresh.push(config);
      if (fresh.length >= n) break;
    }
    return fresh;
  }

  private record(trial: Trial): void {
    if (this.keys.has(trial.configKey)) return;
    this.keys.add(trial.configKey);
    this.history.push(trial);
    if (Number.isFinite(trial.cost) && (!this.bestTrial || trial.cost < this.bestTrial.cost)) {
      this.bestTrial = trial;
    }
  }
}

export function emptyErrorCounts(): Record<FailureKind, number> {
  return Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
}
