/**
 * What a tuned-at x run-at latency matrix says: for each run-at share (a column), which tuned
 * variant is fastest and how the one tuned at that very share compares (the paper's claim: tuned
 * at X runs best at X); how much the variant tuned on the whole GPU loses on smaller slices; and
 * which share to tune at when the serving share is not known in advance.
 */
import { formatPercent } from '../records/share.js';
import { SlicetuneError } from '../util/errors.js';
import type { LatencyMatrix } from './matrix.js';

export const RECOMMENDATION_RULE =
  'the tuned-at share with the smallest worst case, worst case = max over run-at shares of latency / best latency at that run-at share; a tie goes to the share listed first';

export interface SweepColumn {
  runAtPercent: number;
  /** The fastest variant at this run-at share. */
  bestTunedAtPercent: number;
  bestMs: number;
  /** The variant tuned at this very share, run here (the diagonal entry). */
  diagonalMs: number;
  /** diagonalMs / bestMs: 1 when tuning at the serving share was best. */
  diagonalRatio: number;
  diagonalIsBest: boolean;
}

export interface FullTuningLoss {
  runAtPercent: number;
  /** The variant tuned at 100% run at this share. */
  ms: number;
  bestMs: number;
  bestTunedAtPercent: number;
  /** ms / bestMs - 1: 0.25 is 25% slower than the best variant at this share. */
  loss: number;
}

export interface WorstCase {
  tunedAtPercent: number;
  /** max over run-at shares of latency / best latency at that share. */
  worstRatio: number;
  /** The run-at share where that worst ratio occurs. */
  worstAtPercent: number;
}

export interface SweepAnalysis {
  columns: SweepColumn[];
  /** The tuned-at-100% variant at each smaller share; null when 100% was not swept. */
  fullTuningLoss: FullTuningLoss[] | null;
  worstCases: WorstCase[];
  recommendation: WorstCase & { rule: string };
  /** Run-at shares where tuning at that share was best, of all. */
  diagonalBest: { count: number; of: number };
}

/** Latency of the variant tuned at shares[t] run at shares[r]. */
function cell(m: LatencyMatrix, t: number, r: number): number {
  const ms = m.latencyMs[t]?.[r];
  if (ms === undefined) {
    throw new SlicetuneError(
      'INTERNAL',
      `matrix of ${m.model} has no entry for tuned at ${m.shares[t]}%, run at ${m.shares[r]}%`,
    );
  }
  return ms;
}

export function analyzeSweep(m: LatencyMatrix): SweepAnalysis {
  const n = m.shares.length;
  const share = (i: number) => m.shares[i] as number;
  const columns = m.shares.map((runAtPercent, r): SweepColumn => {
    let best = 0;
    for (let t = 1; t < n; t++) if (cell(m, t, r) < cell(m, best, r)) best = t;
    const bestMs = cell(m, best, r);
    const diagonalMs = cell(m, r, r);
    return {
      runAtPercent,
      bestTunedAtPercent: share(best),
      bestMs,
      diagonalMs,
      diagonalRatio: diagonalMs / bestMs,
      diagonalIsBest: diagonalMs <= bestMs,
    };
  });
  const bestOf = (r: number) => (columns[r] as SweepColumn).bestMs;
  const worstCases = m.shares.map((tunedAtPercent, t): WorstCase => {
    let worst = 0;
    for (let r = 1; r < n; r++) if (cell(m, t, r) / bestOf(r) > cell(m, t, worst) / bestOf(worst)) worst = r;
    return { tunedAtPercent, worstRatio: cell(m, t, worst) / bestOf(worst), worstAtPercent: share(worst) };
  });
  const recommended = worstCases.reduce((a, b) => (b.worstRatio < a.worstRatio ? b : a));
  const full = m.shares.indexOf(100);
  const fullTuningLoss =
    full < 0
      ? null
      : columns
          .filter((c) => c.runAtPercent < 100)
          .map((c): FullTuningLoss => {
            const ms = cell(m, full, m.shares.indexOf(c.runAtPercent));
            return {
              runAtPercent: c.runAtPercent,
              ms,
              bestMs: c.bestMs,
              bestTunedAtPercent: c.bestTunedAtPercent,
              loss: ms / c.bestMs - 1,
            };
          });
  return {
    columns,
    fullTuningLoss,
    worstCases,
    recommendation: { ...recommended, rule: RECOMMENDATION_RULE },
    diagonalBest: { count: columns.filter((c) => c.diagonalIsBest).length, of: n },
  };
}

/** The analysis in sentences, for the CLI and the report's notes. */
export function describeSweep(m: LatencyMatrix, a: SweepAnalysis): string[] {
  const pct = formatPercent;
  const ratio = (x: number) => `${x.toFixed(3)}x`;
  const lines = a.columns.map((c) =>
    c.diagonalIsBest
      ? `run at ${pct(c.runAtPercent)}: the variant tuned at ${pct(c.runAtPercent)} is the best of the column`
      : `run at ${pct(c.runAtPercent)}: tuned at ${pct(c.runAtPercent)} is ${ratio(c.diagonalRatio)} the best (tuned at ${pct(c.bestTunedAtPercent)})`,
  );
  lines.push(
    `tuning at the serving share was best in ${a.diagonalBest.count} of ${a.diagonalBest.of} run-at shares`,
  );
  if (a.fullTuningLoss === null) {
    lines.push('100% was not swept: no tuned-at-100% variant to compare');
  } else {
    for (const l of a.fullTuningLoss) {
      lines.push(
        `tuned at 100%, run at ${pct(l.runAtPercent)}: ${(100 * l.loss).toFixed(1)}% slower than the best there (tuned at ${pct(l.bestTunedAtPercent)})`,
      );
    }
  }
  const r = a.recommendation;
  lines.push(
    `serving share unknown: tune at ${pct(r.tunedAtPercent)} (worst case ${ratio(r.worstRatio)} the best, at ${pct(r.worstAtPercent)}; rule: ${r.rule})`,
  );
  if (m.simulated) lines.push('SIMULATED GPU: every latency is an analytical model, not a measurement');
  return lines;
}
