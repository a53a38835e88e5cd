/**
 * A small random-forest regressor, written for the cost model's workload: refitted after every
 * batch on at most a few hundred samples of a few dozen features, then queried on thousands of
 * candidates per proposal.
 *
 * Why not ml-random-forest: its CART split search (ml-cart) evaluates each candidate threshold by
 * re-partitioning the node's samples, which is quadratic in the samples of a node; fitting took
 * ~60 ms for 128 samples x 8 trees, two thirds of every proposal. Here the split search is linear
 * in the node's samples per feature: every feature's column is sorted once per fit (O(n log n)),
 * each tree reads its bootstrap sample off those orders without sorting again, and every node
 * keeps its rows in per-feature sorted order (a stable partition carries the order down to the
 * children). One pass over a sorted column with running sums of y finds the best threshold, since
 * the squared-error reduction of a split is
 *   SSE(node) - SSE(left) - SSE(right) = SL²/nL + SR²/nR - S²/n
 * (S: sum of y; the y² terms of the three SSEs cancel, so running sums of y suffice).
 *
 * Trees live in flat typed arrays (feature, threshold, left, right, value), so prediction is a
 * tight loop without objects. Deterministic for a seed: every random choice (bootstrap rows,
 * features tried at each split) comes from one Rng seeded at each fit.
 */
import { SlicetuneError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { LEAF, type RegressionForestOptions, TreeBuilder } from './forest-tree.js';

export type { RegressionForestOptions } from './forest-tree.js';

export class RegressionForest {
  private readonly options: RegressionForestOptions;
  private nFeatures = 0;
  /** Root node of each tree. */
  private roots = new Int32Array(0);
  private feature = new Int32Array(0);
  private threshold = new Float64Array(0);
  private left = new Int32Array(0);
  private right = new Int32Array(0);
  private value = new Float64Array(0);

  constructor(options: RegressionForestOptions) {
    const { trees, maxDepth, minLeafSamples, featureShare } = options;
    if (!(Number.isInteger(trees) && trees >= 1))
      throw new SlicetuneError('INTERNAL', `forest trees ${trees}`);
    if (!(Number.isInteger(maxDepth) && maxDepth >= 0))
      throw new SlicetuneError('INTERNAL', `forest maxDepth ${maxDepth}`);
    if (!(Number.isInteger(minLeafSamples) && minLeafSamples >= 1))
      throw new SlicetuneError('INTERNAL', `forest minLeafSamples ${minLeafSamples}`);
    if (!(featureShare > 0 && featureShare <= 1))
      throw new SlicetuneError('INTERNAL', `forest featureShare ${featureShare}`);
    this.options = { ...options };
  }

  /** Fits the forest to rows x (all of one length, no NaN) and targets y; replaces any earlier fit. */
  fit(x: readonly (readonly number[])[], y: readonly number[]): void {
    const n = x.length;
    if (n === 0) throw new SlicetuneError('INTERNAL', 'forest fit on no samples');
    if (y.length !== n) throw new SlicetuneError('INTERNAL', `forest fit: ${n} rows but ${y.length} targets`);
    const d = x[0]!.length;
    for (const row of x)
      if (row.length !== d)
        throw new SlicetuneError('INTERNAL', `forest fit: rows of ${d} and ${row.length} features`);

    // Column-major copy: the split search reads one feature of many rows.
    const cols = new Float64Array(d * n);
    for (let r = 0; r < n; r++) {
      const row = x[r]!;
      for (let f = 0; f < d; f++) cols[f * n + r] = row[f]!;
    }
    const ys = Float64Array.from(y);

    // Each feature's rows in ascending order, once per fit; constant features are dropped here
    // (no tree could split on them).
    const active: number[] = [];
    const sorted: Int32Array[] = [];
    const rows = Array.from({ length: n }, (_, r) => r);
    for (let f = 0; f < d; f++) {
      const base = f * n;
      rows.sort((a, b) => cols[base + a]! - cols[base + b]!);
      const order = new Int32Array(n);
      for (let r = 0; r < n; r++) order[r] = rows[r]!;
      if (cols[base + order[0]!] === cols[base + order[n - 1]!]) continue;
      active.push(f);
      sorted.push(order);
    }

    const rng = new Rng(this.options.seed);
    const { trees } = this.options;
    // A tree on n rows with leaves of >= 1 row has at most 2n - 1 nodes.
    const capacity = trees * (2 * n - 1);
    const builder = new TreeBuilder(cols, ys, n, active, sorted, this.options, rng, capacity);
    const roots = new Int32Array(trees);
    for (let t = 0; t < trees; t++) roots[t] = builder.grow();

    this.nFeatures = d;
    this.roots = roots;
    const used = builder.nodes;
    this.feature = builder.feature.slice(0, used);
    this.threshold = builder.threshold.slice(0, used);
    this.left = builder.left.slice(0, used);
    this.right = builder.right.slice(0, used);
    this.value = builder.value.slice(0, used);
  }

  /** Each tree's prediction for each row: result[sample][tree]. */
  predictPerTree(x: readonly (readonly number[])[]): number[][] {
    if (this.roots.length === 0) throw new SlicetuneError('INTERNAL', 'forest predict before fit');
    const { roots, feature, threshold, left, right, value, nFeatures } = this;
    return x.map((row) => {
      if (row.length !== nFeatures)
        throw new SlicetuneError(
          'INTERNAL',
          `forest predict: ${row.length} features, fitted on ${nFeatures}`,
        );
      const out = new Array<number>(roots.length);
      for (let t = 0; t < roots.length; t++) {
        let node = roots[t]!;
        for (let f = feature[node]!; f !== LEAF; f = feature[node]!)
          node = row[f]! <= threshold[node]! ? left[node]! : right[node]!;
        out[t] = value[node]!;
      }
      return out;
    });
  }
}
