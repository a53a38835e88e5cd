import { describe, expect, it } from 'vitest';
import { RegressionForest, type RegressionForestOptions } from '../../src/search/forest.js';
import { Rng } from '../../src/util/rng.js';
import { expectSlicetuneError } from '../helpers/errors.js';

const DEFAULTS: RegressionForestOptions = {
  trees: 8,
  maxDepth: 8,
  minLeafSamples: 2,
  featureShare: 0.5,
  seed: 1,
};

function forest(options: Partial<RegressionForestOptions> = {}): RegressionForest {
  return new RegressionForest({ ...DEFAULTS, ...options });
}

function meanPrediction(f: RegressionForest, x: number[][]): number[] {
  return f.predictPerTree(x).map((trees) => trees.reduce((a, v) => a + v, 0) / trees.length);
}

/** 1 - SSE / SST of predictions against truth. */
function rSquared(predicted: readonly number[], truth: readonly number[]): number {
  const mean = truth.reduce((a, v) => a + v, 0) / truth.length;
  let sse = 0;
  let sst = 0;
  truth.forEach((t, i) => {
    sse += (t - predicted[i]!) ** 2;
    sst += (t - mean) ** 2;
  });
  return 1 - sse / sst;
}

/** y = x0 * x1 on a 20 x 20 grid of [0, 1]², with optional extra pure-noise columns. */
function productGrid(noiseColumns: number, rng: Rng): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 20; i++)
    for (let j = 0; j < 20; j++) {
      const a = i / 19;
      const b = j / 19;
      x.push([a, b, ...Array.from({ length: noiseColumns }, () => rng.next())]);
      y.push(a * b);
    }
  return { x, y };
}

function heldOut(noiseColumns: number, rng: Rng): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let k = 0; k < 300; k++) {
    const a = rng.next();
    const b = rng.next();
    x.push([a, b, ...Array.from({ length: noiseColumns }, () => rng.next())]);
    y.push(a * b);
  }
  return { x, y };
}

describe('RegressionForest', () => {
  it('learns a step function exactly: one split recovers both levels, in every tree', () => {
    // 0..19, twenty copies each: every bootstrap sample holds both sides of the step.
    const x: number[][] = [];
    const y: number[] = [];
    for (let copy = 0; copy < 20; copy++)
      for (let v = 0; v < 20; v++) {
        x.push([v, 7]); // the second column is constant
        y.push(v < 10 ? 1 : 5);
      }
    for (const maxDepth of [1, 8]) {
      const f = forest({ maxDepth, featureShare: 1 });
      f.fit(x, y);
      const queries = [[0], [9], [9.4], [9.6], [10], [19], [-100], [100]].map(([v]) => [v!, 7]);
      for (const trees of f.predictPerTree(queries)) expect(trees).toEqual(trees.map(() => trees[0]));
      expect(meanPrediction(f, queries)).toEqual([1, 1, 1, 5, 5, 5, 1, 5]);
    }
  });

  it('learns y = x0 * x1 far better than the mean does (R² > 0.9 on held-out points)', () => {
    const rng = new Rng(7);
    const train = productGrid(0, rng);
    const test = heldOut(0, rng);
    const f = forest({ trees: 16 });
    f.fit(train.x, train.y);
    expect(rSquared(meanPrediction(f, test.x), test.y)).toBeGreaterThan(0.9);
  });

  it('is hardly hurt by a pure-noise feature', () => {
    const rng = new Rng(11);
    const clean = forest({ trees: 16 });
    const trainClean = productGrid(0, rng);
    clean.fit(trainClean.x, trainClean.y);
    const noisy = forest({ trees: 16 });
    const trainNoisy = productGrid(1, rng);
    noisy.fit(trainNoisy.x, trainNoisy.y);
    const test = heldOut(1, rng);
    const r2Clean = rSquared(
      meanPrediction(
        clean,
        test.x.map((row) => row.slice(0, 2)),
      ),
      test.y,
    );
    const r2Noisy = rSquared(meanPrediction(noisy, test.x), test.y);
    expect(r2Noisy).toBeGreaterThan(0.85);
    expect(r2Noisy).toBeGreaterThan(r2Clean - 0.05);
  });

  it('is deterministic for a seed, and another seed grows other trees', () => {
    const rng = new Rng(3);
    const train = productGrid(2, rng);
    const test = heldOut(2, rng);
    const predict = (seed: number) => {
      const f = forest({ seed });
      f.fit(train.x, train.y);
      return f.predictPerTree(test.x);
    };
    const first = predict(5);
    expect(predict(5)).toEqual(first);
    expect(predict(6)).not.toEqual(first);
    // Trees of one forest differ too (their own bootstrap and feature draws).
    expect(first.some((trees) => trees.some((v) => v !== trees[0]))).toBe(true);
  });

  it('predicts a constant target everywhere', () => {
    const rng = new Rng(4);
    const x = Array.from({ length: 50 }, () => [rng.next(), rng.int(4), rng.normal()]);
    const f = forest();
    f.fit(
      x,
      x.map(() => 0.25),
    );
    const predictions = f.predictPerTree(heldOut(1, rng).x);
    expect(predictions.flat().every((v) => v === 0.25)).toBe(true);
  });

  it('gives one prediction per tree for each sample', () => {
    const rng = new Rng(5);
    const train = productGrid(0, rng);
    const f = forest({ trees: 5 });
    f.fit(train.x, train.y);
    const out = f.predictPerTree(heldOut(0, rng).x.slice(0, 7));
    expect(out).toHaveLength(7);
    for (const trees of out) expect(trees).toHaveLength(5);
    expect(f.predictPerTree([])).toEqual([]);
  });

  it('fits a single sample and all-constant features as one leaf', () => {
    const f = forest();
    f.fit([[1, 2]], [3]);
    expect(f.predictPerTree([[0, 0]])).toEqual([[3, 3, 3, 3, 3, 3, 3, 3]]);
    f.fit(
      [
        [1, 1],
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      [0, 0, 4, 4],
    );
    for (const v of f.predictPerTree([[1, 1]])[0]!) expect([0, 1, 2, 3, 4]).toContain(v);
  });

  it('rejects ragged rows, mismatched targets and predicting before fitting', () => {
    const f = forest();
    expectSlicetuneError(() => f.predictPerTree([[1, 2]]), 'INTERNAL', 'before fit');
    expectSlicetuneError(
      () =>
        f.fit(
          [
            [1, 2],
            [3, 4, 5],
          ],
          [1, 2],
        ),
      'INTERNAL',
      'rows of 2 and 3',
    );
    expectSlicetuneError(() => f.fit([[1], [2]], [1]), 'INTERNAL', '2 rows but 1 targets');
    expectSlicetuneError(() => f.fit([], []), 'INTERNAL');
    f.fit([[1], [2], [3], [4]], [1, 2, 3, 4]);
    expectSlicetuneError(() => f.predictPerTree([[1, 2]]), 'INTERNAL', 'fitted on 1');
    expectSlicetuneError(() => forest({ featureShare: 0 }), 'INTERNAL', 'featureShare');
  });
});
