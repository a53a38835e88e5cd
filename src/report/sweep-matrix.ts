/**
 * The latency matrix from the `model_runs` table: one sweep's rows (tuned-at x run-at) become the
 * report's LatencyMatrix, so `slicetune report` shows the newest sweep without a --matrix file.
 */
import { type ModelRunRecord, ModelRunStore } from '../records/model-runs.js';
import { SlicetuneError } from '../util/errors.js';
import { type LatencyMatrix, parseLatencyMatrix } from './matrix.js';

/** Shares in the order a sweep lists them: largest first. */
const byShareDescending = (a: number, b: number) => b - a;

/**
 * One sweep's model runs as a matrix; every (tuned-at, run-at) pair of its shares must be there.
 * Shares come in `order` when given (a sweep's own list), else largest first.
 */
export function matrixOfModelRuns(runs: readonly ModelRunRecord[], order?: readonly number[]): LatencyMatrix {
  const first = runs[0];
  if (!first) throw new SlicetuneError('NOT_FOUND', 'no model runs to make a latency matrix of');
  const foreign = runs.find((r) => r.runId !== first.runId || r.model !== first.model);
  if (foreign) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `a latency matrix is one sweep of one model: got ${first.model} (run ${first.runId}) and ${foreign.model} (run ${foreign.runId})`,
    );
  }
  const shares = order
    ? [...order]
    : [...new Set(runs.flatMap((r) => [r.tunedAtPercent, r.runAtPercent]))].sort(byShareDescending);
  const at = new Map(runs.map((r) => [`${r.tunedAtPercent}|${r.runAtPercent}`, r.medianMs]));
  const latencyMs = shares.map((tunedAt) =>
    shares.map((runAt) => {
      const ms = at.get(`${tunedAt}|${runAt}`);
      if (ms === undefined) {
        throw new SlicetuneError(
          'RECORD_STORE',
          `sweep ${first.runId} of ${first.model} has no run of the variant tuned at ${tunedAt}% at ${runAt}% (an interrupted sweep? run it again)`,
        );
      }
      return ms;
    }),
  );
  return parseLatencyMatrix(
    { model: first.model, shares, latencyMs, simulated: runs.some((r) => r.simulated) },
    `model runs of sweep ${first.runId}`,
  );
}

/** The newest sweep's matrix in a store file (of `model`, when given); undefined when none was run. */
export function latestSweepMatrix(dbPath: string, model?: string): LatencyMatrix | undefined {
  const store = ModelRunStore.open(dbPath, { mustExist: true });
  try {
    const runId = store.latestRunId(model);
    return runId === undefined ? undefined : matrixOfModelRuns(store.query({ runId }));
  } finally {
    store.close();
  }
}
