/**
 * The learned cost model: a random forest (ml-random-forest) from config features to a score,
 * higher is faster. Training is capped (trees, depth, samples) so retraining after every batch
 * stays cheap: ml-cart's split search is quadratic in the samples of a node.
 */
import { RandomForestRegression } from 'ml-random-forest';

export interface CostModelOptions {
  trees?: number;
  maxDepth?: number;
  /** Leaves hold at most this many samples. */
  minLeafSamples?: number;
  /** Share of the features each tree sees, (0, 1]. */
  featureShare?: number;
  seed?: number;
}

export interface Sample {
  features: number[];
  score: number;
}

export class CostModel {
  private forest: RandomForestRegression | undefined;
  private readonly options: Required<CostModelOptions>;

  constructor(options: CostModelOptions = {}) {
    this.options = {
      trees: options.trees ?? 8,
      maxDepth: options.maxDepth ?? 8,
      minLeafSamples: options.minLeafSamples ?? 2,
      featureShare: options.featureShare ?? 0.5,
      seed: options.seed ?? 1,
    };
  }

  get trained(): boolean {
    return this.forest !== undefined;
  }

  fit(samples: readonly Sample[]): void {
    if (samples.length < 2) {
      this.forest = undefined;
      return;
    }
    const { trees, maxDepth, minLeafSamples, featureShare, seed } = this.options;
    const forest = new RandomForestRegression({
      nEstimators: trees,
      maxFeatures: featureShare,
      replacement: false,
      useSampleBagging: true,
      noOOB: true,
      seed: seed | 0,
      treeOptions: { maxDepth, minNumSamples: minLeafSamples },
    });
    forest.train(
      samples.map((s) => s.features),
      samples.map((s) => s.score),
    );
    this.forest = forest;
  }

  /** Predicted scores (higher is faster); zeros before training. */
  predict(features: readonly number[][]): number[] {
    return this.predictSpread(features).map((p) => p.mean);
  }

  /** Mean and spread (standard deviation across the trees) of each prediction. */
  predictSpread(features: readonly number[][]): { mean: number; std: number }[] {
    if (features.length === 0) return [];
    if (!this.forest) return features.map(() => ({ mean: 0, std: 0 }));
    const perTree = this.forest.predictionValues(features as number[][]).to2DArray();
    return perTree.map((values) => {
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
      return { mean, std: Math.sqrt(variance) };
    });
  }
}
