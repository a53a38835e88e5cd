/**
 * The resource-aware tuning study (`slicetune sweep`): tune a model at each share (records reused
 * through the store: a share already tuned to the budget measures nothing new, and each share's
 * cost model starts from the shares tuned before it),
 * then run every tuned variant on a slice of every share. The medians fill the tuned-at x run-at
 * matrix, kept in the store's `model_runs` table, and the analysis says whether tuning at the
 * serving share is best there and which share to tune at when the serving share is unknown.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { BackendOptions } from '../gpu/backend.js';
import { type DeviceChoice, probeDevices } from '../gpu/device.js';
import type { SliceMechanism } from '../gpu/types.js';
import { extractTasks, loadModel, type ZooOptions } from '../graph/index.js';
import type { MeasureOptions } from '../measure/types.js';
import { type ModelRunRecord, ModelRunStore } from '../records/model-runs.js';
import { RecordStore } from '../records/store.js';
import { runModelOnSlice, SIMULATED_LABEL } from '../runtime/index.js';
import { defaultBatchSize, planTuning, tuneModel } from '../sharing/index.js';
import type { TuningEvent } from '../sharing/types.js';
import { deadline } from '../util/deadline.js';
import { SlicetuneError } from '../util/errors.js';
import type { LatencyMatrix } from './matrix.js';
import { analyzeSweep, type SweepAnalysis } from './sweep-analysis.js';
import { matrixOfModelRuns } from './sweep-matrix.js';

export interface SweepOptions {
  /** A zoo model name or an .onnx path. */
  model: string;
  zoo?: ZooOptions;
  /** Shares, percent, each in (0, 100], distinct: tuned-at rows and run-at columns alike. */
  shares: readonly number[];
  /** Measured configs per task at each share (those already in the store count). */
  trialsPerTask: number;
  /** Timed runs of each (tuned-at, run-at) pair. */
  runs: number;
  warmup?: number;
  /** Record store file (runModel opens it by path, so not `:memory:`). */
  db: string;
  device: DeviceChoice;
  strategy?: string;
  seed?: number;
  /** Wall-time budget of the tuning at each share, seconds (the trial budget alone when absent). */
  timeLimitS?: number;
  /** At most this many measurement servers per share (default: as many slices as fit). */
  maxServers?: number;
  backendOptions?: BackendOptions;
  /** How each config is timed while tuning (default: the quick protocol). */
  measureOptions?: MeasureOptions;
  /** Compile workers of each model run (runModel's default when absent). */
  compileWorkers?: number;
  runId?: string;
  onEvent?: (e: SweepEvent) => void;
}

export type SweepEvent =
  | { type: 'tune-start'; share: number; mechanism: SliceMechanism; servers: number; tasks: number }
  | { type: 'tuning'; share: number; event: TuningEvent }
  | { type: 'tuned'; share: number; tuning: SweepTuning }
  | { type: 'run'; run: ModelRunRecord };

export interface SweepTuning {
  share: number;
  runId: string;
  mechanism: SliceMechanism;
  servers: number;
  /** Configs measured by this sweep (0 when the store already had the budget at this share). */
  newTrials: number;
  validNewTrials: number;
  estimatedModelMs: number;
  wallMs: number;
  /** The time limit stopped this share's tuning before every task reached the trial budget. */
  stopped: boolean;
}

export interface SweepResult {
  runId: string;
  model: string;
  deviceName: string;
  simulated: boolean;
  simulatedLabel?: string;
  shares: number[];
  trialsPerTask: number;
  runs: number;
  tuning: SweepTuning[];
  /** Every (tuned-at, run-at) pair, as stored in model_runs. */
  modelRuns: ModelRunRecord[];
  matrix: LatencyMatrix;
  /** p99Ms[tunedAt][runAt], in the order of `shares`. */
  p99Ms: number[][];
  analysis: SweepAnalysis;
  db: string;
}

/** `--shares 100,50,25,10`: distinct percentages in (0, 100], in the order given. */
export function parseShareList(text: string, option = '--shares'): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (text.trim() === '' || parts.some((p) => p === '')) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `${option} needs comma-separated percentages like 100,50,25, got '${text}'`,
    );
  }
  const shares = parts.map((p) => Number(p));
  checkShares(shares, option, text);
  return shares;
}

function checkShares(shares: readonly number[], option: string, given: string): void {
  if (shares.length === 0) throw new SlicetuneError('BAD_OPTION', `${option} needs at least one share`);
  for (const s of shares) {
    if (!(Number.isFinite(s) && s > 0 && s <= 100)) {
      throw new SlicetuneError(
        'BAD_OPTION',
        `${option}: every share must be a percentage in (0, 100], got '${given}'`,
      );
    }
  }
  if (new Set(shares).size !== shares.length) {
    throw new SlicetuneError('BAD_OPTION', `${option}: shares must be distinct, got '${given}'`);
  }
}

/** Where a model runs at a share: the whole GPU at 100%, else green contexts, else MPS (as `run`). */
function runMechanism(share: number, green: boolean): SliceMechanism {
  if (share >= 100) return 'exclusive';
  return green ? 'green' : 'mps';
}

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  checkShares(o.shares, 'shares', o.shares.join(','));
  if (o.db === ':memory:') {
    throw new SlicetuneError(
      'BAD_OPTION',
      'sweep needs a record store file: the runs read it by path, not :memory:',
    );
  }
  const runId = o.runId ?? randomUUID();
  const { tasks } = extractTasks(loadModel(o.model, o.zoo ?? {}));
  const probe = await probeDevices(o.device);
  const device = probe.devices[0];
  if (!device) throw new SlicetuneError('CUDA_NOT_FOUND', `no ${probe.backend} device to sweep on`);
  const emit = (e: SweepEvent) => o.onEvent?.(e);

  const tuning: SweepTuning[] = [];
  const store = RecordStore.open(o.db);
  try {
    for (const [shareIndex, share] of o.shares.entries()) {
      const fits = share >= 100 ? 1 : Math.max(1, Math.floor(100 / share + 1e-9));
      const plan = planTuning({
        share,
        deviceSms: device.sms,
        cpuCores: availableParallelism(),
        tasks: tasks.length,
        green: probe.mechanisms.green.supported,
        mps: probe.mechanisms.mps.supported,
        batchSize: defaultBatchSize(o.trialsPerTask),
        overrides: o.maxServers !== undefined && share < 100 ? { servers: Math.min(fits, o.maxServers) } : {},
      });
      emit({
        type: 'tune-start',
        share,
        mechanism: plan.mechanism,
        servers: plan.servers,
        tasks: tasks.length,
      });
      const limit = o.timeLimitS ? deadline(o.timeLimitS * 1000) : undefined;
      const r = await tuneModel({
        tasks,
        plan,
        device: o.device,
        store,
        runId: `${runId}/tune-${share}`,
        trialsPerTask: o.trialsPerTask,
        strategy: o.strategy ?? 'model',
        // Each share its own random stream: with one seed every share's first (random) batch was
        // the same configs, and on small budgets the variants came out identical.
        seed: (o.seed ?? 1) + shareIndex * 104_729,
        backendOptions: o.backendOptions,
        ...(o.measureOptions ? { measureOptions: o.measureOptions } : {}),
        ...(limit ? { signal: limit.signal } : {}),
        onEvent: (event) => emit({ type: 'tuning', share, event }),
      }).finally(() => limit?.clear());
      const t: SweepTuning = {
        share,
        runId: r.runId,
        mechanism: plan.mechanism,
        servers: plan.servers,
        newTrials: r.trials,
        validNewTrials: r.validTrials,
        estimatedModelMs: r.estimatedModelMs,
        wallMs: r.wallMs,
        stopped: r.stopped,
      };
      tuning.push(t);
      emit({ type: 'tuned', share, tuning: t });
    }
  } finally {
    store.close();
  }

  const modelRuns = ModelRunStore.open(o.db);
  const rows: ModelRunRecord[] = [];
  let simulated = false;
  let deviceName = device.name;
  try {
    for (const tunedAt of o.shares) {
      for (const runAt of o.shares) {
        const mechanism = runMechanism(runAt, probe.mechanisms.green.supported);
        const report = await runModelOnSlice({
          model: o.model,
          zoo: o.zoo,
          db: o.db,
          percent: runAt,
          tunedAtPercent: tunedAt,
          mechanism,
          device: o.device,
          runs: o.runs,
          warmup: o.warmup,
          seed: o.seed,
          backendOptions: o.backendOptions,
          compileWorkers: o.compileWorkers,
        });
        simulated ||= report.device.simulated;
        deviceName = report.device.name;
        const row: ModelRunRecord = {
          runId,
          model: report.model,
          tunedAtPercent: tunedAt,
          runAtPercent: runAt,
          mechanism,
          medianMs: report.latency.medianMs,
          p99Ms: report.latency.p99Ms,
          deviceName: report.device.name,
          simulated: report.device.simulated,
          timestamp: Date.now(),
        };
        // Stored as it comes: an interrupted sweep keeps the pairs it ran.
        modelRuns.add([row]);
        rows.push(row);
        emit({ type: 'run', run: row });
      }
    }
  } finally {
    modelRuns.close();
  }
  const matrix = matrixOfModelRuns(rows, o.shares);
  const p99 = new Map(rows.map((r) => [`${r.tunedAtPercent}|${r.runAtPercent}`, r.p99Ms]));
  return {
    runId,
    model: matrix.model,
    deviceName,
    simulated,
    ...(simulated ? { simulatedLabel: SIMULATED_LABEL } : {}),
    shares: [...o.shares],
    trialsPerTask: o.trialsPerTask,
    runs: o.runs,
    tuning,
    modelRuns: rows,
    matrix,
    p99Ms: o.shares.map((t) => o.shares.map((r) => p99.get(`${t}|${r}`) ?? Number.NaN)),
    analysis: analyzeSweep(matrix),
    db: o.db,
  };
}
