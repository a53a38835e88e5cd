/**
 * Model-guided search (AutoTVM's XGBTuner, Ansor's evolutionary search): a random forest learns
 * config features -> relative speed from the trials (and from transfer points), simulated
 * annealing explores its predictions from the best known configs plus random starts, and each
 * batch is the best predicted, kept diverse, with an ε share of random configs. Before there is
 * enough to learn from, it searches at random.
 */
import type { Config } from '../../space/types.js';
import { anneal } from '../annealing.js';
import { CostModel, type CostModelOptions } from '../cost-model.js';
import { pickDiverse } from '../diverse-pick.js';
import { sampleUnmeasured } from '../sampling.js';
import { trainingSamples } from '../training-set.js';
import type { PriorPoint, SearchContext, Strategy, StrategyOptions, Trial } from '../types.js';

export interface ModelOptions {
  /** Share of each batch drawn at random (ε-greedy exploration). */
  epsilon?: number;
  /** Successful trials needed before the model is trusted; defaults to max(8, batch size). */
  minTrials?: number;
  /** Transfer points that suffice to start from the model at once. */
  minPrior?: number;
  /** Annealing walkers and steps per proposal. */
  walkers?: number;
  steps?: number;
  temperature?: readonly [number, number];
  /** Most samples the forest trains on. */
  maxSamples?: number;
  /** Chosen configs differ pairwise in at least this many knobs while candidates last. */
  minKnobDifference?: number;
  costModel?: CostModelOptions;
}

export function makeModel(options: StrategyOptions & ModelOptions): Strategy {
  const prior: readonly PriorPoint[] = options.prior ?? [];
  const epsilon = options.epsilon ?? 0.1;
  const minTrials = options.minTrials ?? Math.max(8, options.batchSize);
  const minPrior = options.minPrior ?? 32;
  const walkers = options.walkers ?? 32;
  const steps = options.steps ?? 30;
  const temperature = options.temperature ?? [0.2, 0];
  const maxSamples = options.maxSamples ?? 128;
  const model = new CostModel({ seed: options.seed, ...options.costModel });
  const featureCache = new Map<string, number[]>();
  let trainedOn = -1;

  function featuresOf(ctx: SearchContext): (t: Trial) => number[] {
    return (t) => {
      let f = featureCache.get(t.configKey);
      if (!f) {
        f = ctx.space.features(t.config);
        featureCache.set(t.configKey, f);
      }
      return f;
    };
  }

  /** Retrains when the history grew since the last fit; false when there is nothing to learn from. */
  function ensureTrained(ctx: SearchContext): boolean {
    if (trainedOn === ctx.history.length) return model.trained;
    trainedOn = ctx.history.length;
    const samples = trainingSamples(ctx.history, featuresOf(ctx), prior, ctx.rng, {
      maxSamples,
      keepBest: Math.floor(maxSamples / 4),
    });
    model.fit(samples);
    return model.trained;
  }

  function startingPoints(ctx: SearchContext): Config[] {
    const measured = ctx.history.filter((t) => Number.isFinite(t.cost)).sort((a, b) => a.cost - b.cost);
    const transferred = prior
      .filter((p): p is PriorPoint & { config: Config } => p.config !== undefined && Number.isFinite(p.cost))
      .sort((a, b) => a.cost - b.cost);
    const starts: Config[] = [
      ...measured.slice(0, Math.ceil(walkers / 3)).map((t) => t.config),
      ...transferred.slice(0, Math.ceil(walkers / 6)).map((p) => p.config),
    ];
    while (starts.length < walkers) starts.push(ctx.space.sample(ctx.rng));
    return starts;
  }

  return {
    name: 'model',
    propose(n: number, ctx: SearchContext): Config[] {
      const { space, rng } = ctx;
      const successes = ctx.history.filter((t) => Number.isFinite(t.cost)).length;
      const enoughData = successes >= minTrials || prior.length >= minPrior;
      if (!enoughData || !ensureTrained(ctx)) return sampleUnmeasured(space, rng, n, ctx.measuredKeys);

      const explore = Math.min(n, Math.floor(n * epsilon + rng.next()));
      const ranked = anneal({
        space,
        rng,
        score: (configs) => model.predict(configs.map((c) => space.features(c))),
        starts: startingPoints(ctx),
        steps,
        temperature,
        exclude: ctx.measuredKeys,
      });
      const diversity = options.minKnobDifference ?? (space.knobs.length >= 4 ? 2 : 1);
      const chosen = pickDiverse(space, ranked, n - explore, diversity);
      const taken = new Set(ctx.measuredKeys);
      for (const c of chosen) taken.add(space.key(c));
      return [...chosen, ...sampleUnmeasured(space, rng, n - chosen.length, taken)];
    },
    update: () => {},
  };
}

export const model = (options: StrategyOptions): Strategy => makeModel(options);
