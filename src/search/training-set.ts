/**
 * What the cost model learns from: measured trials and transfer points, as scores on one scale,
 * higher is faster. Costs are taken relative to the best of their group (the own trials, or one
 * transfer source): absolute times differ across shares and shapes, relative ones carry over.
 * Failures score lowest so the model learns to avoid their region.
 */
import type { Rng } from '../util/rng.js';
import type { Sample } from './cost-model.js';
import type { PriorPoint, Trial } from './types.js';

/** How far below the slowest success a failure scores (log units: e times slower). */
const FAILURE_PENALTY = 1;

/**
 * `throughput`: best / cost in (0, 1], failures 0 (AutoTVM's normalised-throughput regression): slow
 * configs crowd near 0 and the forest spends its splits telling the fast ones apart.
 * `log`: -log(cost / best), failures below the slowest success.
 */
export type TargetKind = 'throughput' | 'log';

export interface TrainingSetOptions {
  target: TargetKind;
  /** Most samples in one training set (own trials first, prior points fill the rest). */
  maxSamples: number;
  /** Of the own trials kept when there are too many, this many are the fastest, the rest the latest. */
  keepBest: number;
  /**
   * Own trials at which the prior counts half: its points enter with probability
   * weight × halfLife / (halfLife + own trials), so measurements take over as they come in
   * (a config's speed at another share or shape is only a hint).
   */
  priorHalfLife: number;
  /**
   * Features of the tuning target appended to every sample (e.g. log2 of the share); transfer
   * points append their own source's, so the forest can tell the two apart where they disagree.
   */
  context: readonly number[];
}

export function trainingSamples(
  history: readonly Trial[],
  featuresOf: (trial: Trial) => number[],
  prior: readonly PriorPoint[],
  rng: Rng,
  options: TrainingSetOptions,
): Sample[] {
  const own = keptTrials(history, options);
  const best = Math.min(...own.map((t) => t.cost));
  const { context } = options;
  const raw: { features: number[]; score: number }[] = own.map((t) => ({
    features: [...featuresOf(t), ...context],
    score: Number.isFinite(t.cost) ? -Math.log(t.cost / best) : Number.NEGATIVE_INFINITY,
  }));
  const room = Math.max(0, options.maxSamples - raw.length);
  // The forest takes no sample weights, so a point's weight is its chance to enter.
  const trust = options.priorHalfLife / (options.priorHalfLife + history.length);
  const trusted = prior.filter((p) => rng.next() < (p.weight ?? 1) * trust);
  for (const p of rng.shuffle(trusted).slice(0, room)) {
    const pointContext = p.context?.length === context.length ? p.context : context;
    raw.push({
      features: [...p.features, ...pointContext],
      score: Number.isFinite(p.cost) ? -Math.log(Math.max(p.cost, 1e-12)) : Number.NEGATIVE_INFINITY,
    });
  }
  const finite = raw.filter((s) => Number.isFinite(s.score)).map((s) => s.score);
  if (finite.length === 0) return [];
  if (options.target === 'throughput') {
    return raw.map((s) => ({
      features: s.features,
      score: Number.isFinite(s.score) ? Math.exp(s.score) : 0,
    }));
  }
  const failureScore = Math.min(...finite) - FAILURE_PENALTY;
  return raw.map((s) => (Number.isFinite(s.score) ? s : { features: s.features, score: failureScore }));
}

function keptTrials(history: readonly Trial[], options: TrainingSetOptions): Trial[] {
  if (history.length <= options.maxSamples) return [...history];
  const fastest = [...history].sort((a, b) => a.cost - b.cost).slice(0, options.keepBest);
  const kept = new Set(fastest);
  for (let i = history.length - 1; i >= 0 && kept.size < options.maxSamples; i--)
    kept.add(history[i] as Trial);
  return [...kept];
}
