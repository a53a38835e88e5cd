/**
 * The learned cost model: a random forest (forest.ts, our own) from config features to a score,
 * higher is faster; the spread of the trees' predictions is its uncertainty. Fitting is
 * O(n log n) per feature, a few ms for a few hundred samples, so it is refitted after every batch.
 */
import { RegressionForest } from './forest.js';

export interface CostModelOptions {
  trees?: number;
  maxDepth?: number;
  /** Fewest samples in a leaf. */
  minLeafSamples?: number;
  /** Share of the features tried at each split, (0, 1]. */
  featureShare?: number;
  seed?: number;
}

export interface Sample {
  features: number[];
  score: number;
}

export class CostModel {
  private forest: RegressionForest | undefined;
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
    const forest = new RegressionForest({ ...this.options, seed: this.options.seed | 0 });
    forest.fit(
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
    const perTree = this.forest.predictPerTree(features);
    return perTree.map((values) => {
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
      return { mean, std: Math.sqrt(variance) };
    });
  }
}
