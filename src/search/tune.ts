/**
 * The one tuning loop: batches from a strategy, measured by a Measurer, until the trial budget,
 * the wall-time budget, early stopping or the space runs out. Failures are trials of cost
 * Infinity; the loop never learns about GPUs.
 */
import type { FailureKind } from '../measure/types.js';
import { SlicetuneError } from '../util/errors.js';
import { type SessionOptions, TuneSession } from './session.js';
import type { Trial } from './types.js';

export interface TuneBudget {
  /** New measurements in this call (resumed trials do not count). */
  trials?: number;
  /** Wall-clock milliseconds; checked between batches, so a batch in flight finishes. */
  wallMs?: number;
}

export type StopReason = 'budget' | 'time' | 'early-stop' | 'exhausted';

export interface TuneProgress {
  /** New trials measured so far. */
  trials: number;
  bestCost: number;
  best?: Trial;
  errors: Record<FailureKind, number>;
  elapsedMs: number;
  /** The batch just measured. */
  batch: readonly Trial[];
}

export interface TuneOptions extends SessionOptions {
  budget: TuneBudget;
  /** Stop after this many new trials without a faster config. */
  earlyStopping?: number;
  batchSize: number;
  onProgress?: (progress: TuneProgress) => void;
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
}

export interface TuneResult {
  /** Fastest successful trial, resumed ones included; undefined when every trial failed. */
  best?: Trial;
  /** Every trial known at the end: resumed ones first, then the new ones in order. */
  trials: Trial[];
  newTrials: Trial[];
  trialsUsed: number;
  stopReason: StopReason;
  errors: Record<FailureKind, number>;
  elapsedMs: number;
}

export async function tune(options: TuneOptions): Promise<TuneResult> {
  validate(options);
  const now = options.now ?? Date.now;
  const start = now();
  const { budget, batchSize, earlyStopping } = options;
  const session = new TuneSession(options);
  const resumed = session.history.length;
  let sinceImprovement = 0;
  let stopReason: StopReason;

  for (;;) {
    const remaining = (budget.trials ?? Number.POSITIVE_INFINITY) - session.measuredCount;
    if (remaining <= 0) {
      stopReason = 'budget';
      break;
    }
    if (budget.wallMs !== undefined && now() - start >= budget.wallMs) {
      stopReason = 'time';
      break;
    }
    if (earlyStopping !== undefined && sinceImprovement >= earlyStopping) {
      stopReason = 'early-stop';
      break;
    }
    if (session.exhausted) {
      stopReason = 'exhausted';
      break;
    }
    const bestBefore = session.best?.cost ?? Number.POSITIVE_INFINITY;
    let bestSoFar = bestBefore;
    const batch = await session.step(Math.min(batchSize, remaining));
    for (const t of batch) {
      if (t.cost < bestSoFar) {
        bestSoFar = t.cost;
        sinceImprovement = 0;
      } else sinceImprovement++;
    }
    if (batch.length > 0) {
      options.onProgress?.({
        trials: session.measuredCount,
        bestCost: session.best?.cost ?? Number.POSITIVE_INFINITY,
        ...(session.best ? { best: session.best } : {}),
        errors: { ...session.errors },
        elapsedMs: now() - start,
        batch,
      });
    }
  }
  return {
    ...(session.best ? { best: session.best } : {}),
    trials: [...session.history],
    newTrials: session.history.slice(resumed),
    trialsUsed: session.measuredCount,
    stopReason,
    errors: { ...session.errors },
    elapsedMs: now() - start,
  };
}

function validate(options: TuneOptions): void {
  const { budget, batchSize, earlyStopping } = options;
  const bad = (what: string) => new SlicetuneError('BAD_OPTION', `tune(): ${what}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw bad(`batchSize must be a positive integer, got ${batchSize}`);
  if (budget.trials === undefined && budget.wallMs === undefined) {
    throw bad('budget needs trials or wallMs (an unbounded search never ends on a large space)');
  }
  if (budget.trials !== undefined && !(Number.isInteger(budget.trials) && budget.trials >= 0)) {
    throw bad(`budget.trials must be a non-negative integer, got ${budget.trials}`);
  }
  if (budget.wallMs !== undefined && !(budget.wallMs >= 0))
    throw bad(`budget.wallMs must be >= 0, got ${budget.wallMs}`);
  if (earlyStopping !== undefined && !(Number.isInteger(earlyStopping) && earlyStopping >= 1)) {
    throw bad(`earlyStopping must be a positive integer, got ${earlyStopping}`);
  }
}
