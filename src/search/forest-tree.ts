/**
 * Growing the trees of one RegressionForest fit (forest.ts) into flat typed arrays: bootstrap
 * samples read off presorted columns, split search in one pass over each sorted column, stable
 * partitions that keep every node's rows sorted in every feature.
 */
import type { Rng } from '../util/rng.js';

export interface RegressionForestOptions {
  trees: number;
  /** Depth of the deepest split (the root is depth 0; maxDepth 0 gives a single leaf). */
  maxDepth: number;
  /** Fewest (bootstrap) rows in a leaf; a node with fewer than twice this many is a leaf. */
  minLeafSamples: number;
  /** Share of the features tried at each split, (0, 1]; at least one. */
  featureShare: number;
  seed: number;
}

/** A feature index marking a leaf. */
export const LEAF = -1;

/** Grows the trees of one fit into shared flat arrays. */
export class TreeBuilder {
  nodes = 0;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  /**
   * For active feature i, order[i * n + k], k in a node's range [start, end), are the node's rows
   * (with bootstrap repeats) ascending in that feature. Every node covers the same range in all
   * features.
   */
  private readonly order: Int32Array;
  private readonly scratch: Int32Array;
  private readonly goesLeft: Uint8Array;
  private readonly count: Int32Array;
  private readonly tryFeatures: number;

  constructor(
    private readonly cols: Float64Array,
    private readonly ys: Float64Array,
    private readonly n: number,
    private readonly active: readonly number[],
    private readonly sorted: readonly Int32Array[],
    private readonly options: RegressionForestOptions,
    private readonly rng: Rng,
    capacity: number,
  ) {
    this.feature = new Int32Array(capacity);
    this.threshold = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
    this.order = new Int32Array(Math.max(1, active.length) * n);
    this.scratch = new Int32Array(n);
    this.goesLeft = new Uint8Array(n);
    this.count = new Int32Array(n);
    // Counted against all features, as the share is meant; constant ones are skipped for free.
    const d = cols.length / n;
    this.tryFeatures = Math.max(1, Math.ceil(options.featureShare * d));
  }

  /** Grows one tree on a fresh bootstrap sample; returns its root. */
  grow(): number {
    const { n, count, order, sorted, active, rng } = this;
    // Bootstrap: n rows drawn with replacement, kept as a multiplicity per row.
    count.fill(0);
    for (let k = 0; k < n; k++) count[rng.int(n)]!++;
    // Sorted orders of the sample without sorting again: walk each feature's presorted rows and
    // repeat each row as often as it was drawn.
    for (let i = 0; i < active.length; i++) {
      const src = sorted[i]!;
      let k = i * n;
      for (let j = 0; j < n; j++) {
        const r = src[j]!;
        for (let c = count[r]!; c > 0; c--) order[k++] = r;
      }
    }
    if (active.length === 0) {
      // No feature varies: a single leaf; its rows are needed only for the mean.
      let k = 0;
      for (let r = 0; r < n; r++) for (let c = count[r]!; c > 0; c--) order[k++] = r;
    }
    return this.node(0, n, 0);
  }

  private node(start: number, end: number, depth: number): number {
    const { ys, order, cols, n, active } = this;
    const size = end - start;
    // The node's sums over any one feature's order (all hold the same rows).
    let sum = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let k = start; k < end; k++) {
      const v = ys[order[k]!]!;
      sum += v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const id = this.nodes++;
    this.value[id] = sum / size;
    this.feature[id] = LEAF;
    const { maxDepth, minLeafSamples } = this.options;
    if (depth >= maxDepth || size < 2 * minLeafSamples || lo === hi || active.length === 0) return id;

    // Try features in a fresh random order until tryFeatures non-constant ones have been scanned.
    const candidates = this.rng.shuffle(active.map((_, i) => i));
    const parentTerm = (sum * sum) / size;
    let bestGain = 0;
    let bestFeature = -1;
    let bestThreshold = 0;
    let tried = 0;
    for (const i of candidates) {
      if (tried >= this.tryFeatures) break;
      const base = i * n;
      const colBase = active[i]! * n;
      // Constant in this node: the first and last of its sorted rows agree.
      if (cols[colBase + order[base + start]!] === cols[colBase + order[base + end - 1]!]) continue;
      tried++;
      let sumLeft = 0;
      // Split after position k: rows [start, k] go left. Only between distinct values, and only
      // where both sides keep minLeafSamples rows.
      const lastSplit = end - minLeafSamples;
      let k = start;
      for (; k < start + minLeafSamples - 1; k++) sumLeft += ys[order[base + k]!]!;
      for (; k < lastSplit; k++) {
        const r = order[base + k]!;
        sumLeft += ys[r]!;
        const here = cols[colBase + r]!;
        const next = cols[colBase + order[base + k + 1]!]!;
        if (here === next) continue;
        const nLeft = k - start + 1;
        const sumRight = sum - sumLeft;
        const gain = (sumLeft * sumLeft) / nLeft + (sumRight * sumRight) / (size - nLeft) - parentTerm;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = i;
          // Halfway between the two values; if rounding lands on the upper one, the lower one
          // still separates them (the test is value <= threshold).
          const mid = here + (next - here) / 2;
          bestThreshold = mid < next ? mid : here;
        }
      }
    }
    // No split, or one that reduces the error only by rounding noise.
    const sse = sumOfSquares(ys, order, start, end, sum / size);
    if (bestFeature < 0 || bestGain <= 1e-12 * sse) return id;

    const nLeft = this.partition(start, end, active[bestFeature]!, bestThreshold);
    this.feature[id] = active[bestFeature]!;
    this.threshold[id] = bestThreshold;
    this.left[id] = this.node(start, start + nLeft, depth + 1);
    this.right[id] = this.node(start + nLeft, end, depth + 1);
    return id;
  }

  /**
   * Moves the node's rows with cols[f] <= threshold to the front of [start, end) in every
   * feature's order, keeping each side sorted (a stable partition); returns how many went left.
   */
  private partition(start: number, end: number, f: number, threshold: number): number {
    const { order, scratch, goesLeft, cols, n, active } = this;
    const colBase = f * n;
    for (let k = start; k < end; k++) {
      const r = order[k]!;
      goesLeft[r] = cols[colBase + r]! <= threshold ? 1 : 0;
    }
    let nLeft = 0;
    for (let i = 0; i < active.length; i++) {
      const base = i * n;
      let l = base + start;
      let s = 0;
      // Branch-free: which way a row goes is a coin flip to the branch predictor. Writing order[l]
      // is safe, l <= k: that slot has been read already.
      for (let k = base + start; k < base + end; k++) {
        const r = order[k]!;
        const g = goesLeft[r]!;
        order[l] = r;
        scratch[s] = r;
        l += g;
        s += 1 - g;
      }
      nLeft = l - base - start;
      // A plain loop: order.set(scratch.subarray(...)) allocates a view per call, which cost more
      // than the copy itself here.
      for (let j = 0; j < s; j++) order[l + j] = scratch[j]!;
    }
    return nLeft;
  }
}

function sumOfSquares(ys: Float64Array, order: Int32Array, start: number, end: number, mean: number): number {
  let sse = 0;
  for (let k = start; k < end; k++) sse += (ys[order[k]!]! - mean) ** 2;
  return sse;
}
