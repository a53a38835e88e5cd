/**
 * Model-guided search (AutoTVM's XGBTuner, Ansor's evolutionary search): a random forest learns
 * config features -> relative speed from the trials (and from transfer points); an evolutionary
 * search (or simulated annealing) over its optimistic predictions (mean + κ × spread across the
 * trees) starts from the best measured configs, the best transferred ones and random ones; each
 * batch is the best predicted, kept diverse, with an ε share of random configs. Before there is
 * enough to learn from, it searches at random.
 */
import type { Config } from '../../space/types.js';
import { anneal } from '../annealing.js';
import { CostModel, type CostModelOptions } from '../cost-model.js';
import { pickDiverse } from '../diverse-pick.js';
import { evolve } from '../evolution.js';
import { sampleUnmeasured } from '../sampling.js';
import { type TargetKind, trainingSamples } from '../training-set.js';
import type { PriorPoint, SearchContext, Strategy, StrategyOptions, Trial } from '../types.js';

export interface ModelOptions {
  /** Share of each batch drawn at random (ε-greedy exploration). */
  epsilon?: number;
  /** Successful trials needed before the model is trusted; defaults to max(8, batch size). */
  minTrials?: number;
  /** Own trials at which transfer points count half (see training-set.ts). */
  priorHalfLife?: number;
  /** Transfer points that suffice to start from the model at once. */
  minPrior?: number;
  /** How candidates are explored over the model's predictions. */
  explorer?: 'evolution' | 'annealing';
  /** Population (evolution) or walkers (annealing). */
  walkers?: number;
  /** Fastest transferred configs (valid here) among the starting points. */
  transferStarts?: number;
  /** Annealing steps per proposal. */
  steps?: number;
  temperature?: readonly [number, number];
  /** Evolution: generations and children bred per generation. */
  generations?: number;
  children?: number;
  /**
   * Optimism in the face of uncertainty: candidates are ranked by mean + κ × spread of the trees'
   * predictions (0: by the mean alone).
   */
  kappa?: number;
  /** What the forest learns (see training-set.ts). */
  target?: TargetKind;
  /** Most samples the forest trains on. */
  maxSamples?: number;
  /** Chosen configs differ pairwise in at least this many knobs while candidates last. */
  minKnobDifference?: number;
  costModel?: CostModelOptions;
}

/** Feature vectors kept between proposals (a few MB at most). */
const FEATURE_CACHE_SIZE = 50_000;

export function makeModel(options: StrategyOptions & ModelOptions): Strategy {
  const prior: readonly PriorPoint[] = options.prior ?? [];
  const context = options.context ?? [];
  const epsilon = options.epsilon ?? 0.1;
  const minTrials = options.minTrials ?? Math.max(8, options.batchSize);
  const minPrior = options.minPrior ?? 32;
  const walkers = options.walkers ?? 64;
  const steps = options.steps ?? 30;
  const temperature = options.temperature ?? [0.2, 0];
  const explorer = options.explorer ?? 'evolution';
  const kappa = options.kappa ?? 1;
  const transferStarts = options.transferStarts ?? Math.ceil(walkers / 6);
  const generations = options.generations ?? 4;
  const children = options.children ?? 128;
  const maxSamples = options.maxSamples ?? 128;
  const model = new CostModel({ seed: options.seed, ...options.costModel });
  const featureCache = new Map<string, number[]>();
  let trainedOn = -1;

  /** A config's features, cached: the explorers score the same neighbours again and again. */
  function cachedFeatures(ctx: SearchContext, config: Config, key = ctx.space.key(config)): number[] {
    let f = featureCache.get(key);
    if (!f) {
      if (featureCache.size >= FEATURE_CACHE_SIZE) featureCache.clear();
      f = ctx.space.features(config);
      featureCache.set(key, f);
    }
    return f;
  }

  function featuresOf(ctx: SearchContext): (t: Trial) => number[] {
    return (t) => cachedFeatures(ctx, t.config, t.configKey);
  }

  /** Retrains when the history grew since the last fit; false when there is nothing to learn from. */
  function ensureTrained(ctx: SearchContext): boolean {
    if (trainedOn === ctx.history.length) return model.trained;
    trainedOn = ctx.history.length;
    const samples = trainingSamples(ctx.history, featuresOf(ctx), prior, ctx.rng, {
      maxSamples,
      target: options.target ?? 'throughput',
      keepBest: Math.floor(maxSamples / 4),
      priorHalfLife: options.priorHalfLife ?? 64,
      context,
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
      ...transferred.slice(0, transferStarts).map((p) => p.config),
    ];
    // Random starts keep regions the history has not touched within reach.
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
      const score = (configs: Config[]) =>
        model
          .predictSpread(configs.map((c) => [...cachedFeatures(ctx, c), ...context]))
          .map((p) => p.mean + kappa * p.std);
      const common = { space, rng, score, starts: startingPoints(ctx), exclude: ctx.measuredKeys };
      const ranked =
        explorer === 'evolution'
          ? evolve({ ...common, generations, children, crossoverRate: 0.5 })
          : anneal({ ...common, steps, temperature });
      const diversity = options.minKnobDifference ?? (space.knobs.length >= 4 ? 2 : 1);
      const chosen = pickDiverse(space, ranked, n - explore, diversity);
      const taken = new Set(ctx.measuredKeys);
      for (const c of chosen) taken.add(space.key(c));
      return [...chosen, ...sampleUnmeasured(space, rng, n - chosen.length, taken)];
    },
    // The forest is refitted lazily, at the next proposal, on the whole history.
    update: () => {},
  };
}

export const model = (options: StrategyOptions): Strategy => makeModel(options);
