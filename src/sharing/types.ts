/**
 * The contract of model tuning on a shared GPU: the plan (how the GPU and the CPU are divided),
 * the events a run reports as it goes (the CLI's bars and the service's stream both follow
 * them), and the result. `tuneModel` (tune-model.ts) produces all three.
 */
import type { BackendOptions } from '../gpu/backend.js';
import type { DeviceChoice } from '../gpu/device.js';
import type { Slice, SliceMechanism } from '../gpu/types.js';
import type { BuilderStats } from '../measure/builder.js';
import type { PoolStats } from '../measure/pool.js';
import type { MeasureSession } from '../measure/session.js';
import type { FailureKind, MeasureOptions } from '../measure/types.js';
import type { RecordStore } from '../records/store.js';
import type { Config } from '../space/types.js';
import type { Task } from '../templates/types.js';
import type { Tracker } from './tracker.js';

export type TuningMode = 'baseline' | 'shared';

export interface TuningPlan {
  mode: TuningMode;
  mechanism: SliceMechanism;
  /** The target share of the GPU, percent: each server's slice. */
  percent: number;
  /** Measurement servers (slices). */
  servers: number;
  /** Tuning clients the model's tasks are sharded across. */
  clients: number;
  /** CPU compile workers shared by the clients. */
  compileWorkers: number;
  /** One line per decision, in words (printed by the CLI, returned by the service). */
  why: string[];
}

export interface TuneModelOptions {
  /** From extractTasks(graph).tasks; keys must be distinct. */
  tasks: Task[];
  /** From planTuning(...). */
  plan: TuningPlan;
  device: DeviceChoice;
  store: RecordStore;
  runId: string;
  /**
   * Measured configs per task on this kind of slice, those already in the store included: a
   * resumed run measures only what is missing, and a finished one measures nothing.
   */
  trialsPerTask: number;
  /** A STRATEGY_NAMES entry. */
  strategy: string;
  /**
   * Start each task's cost model from the store's records of it at other shares and of similar
   * workloads (default true; only the model strategy uses them).
   */
  transfer?: boolean;
  /**
   * Run each client's strategies in a worker thread of its own (default: for the model strategy,
   * whose proposals cost tens of ms of CPU; the others propose in microseconds).
   */
  strategyThreads?: boolean;
  seed: number;
  /** Configs per measured batch (default min(16, trialsPerTask)). */
  batchSize?: number;
  /** Simulated GPU: timeScale, seed. */
  backendOptions?: BackendOptions;
  /** Stops between batches: batches in flight finish and are recorded, nothing new starts. */
  signal?: AbortSignal;
  onEvent?: (e: TuningEvent) => void;
  /** Called once with the run's tracker, so a caller can poll `tracker.state()` while it runs. */
  onTracker?: (tracker: Tracker) => void;
  /** Default DEFAULT_MEASURE_OPTIONS. */
  measureOptions?: MeasureOptions;
  /** Re-timing alone before a task's best is final (default: the top 3 that could win and 1 sample with several servers; none on one). */
  fidelity?: Partial<FidelityOptions>;
  /**
   * An open session to measure on instead of opening one from the plan (its pool must match the
   * plan's mechanism and share; the caller closes it). Tests reach its runners through it.
   */
  session?: MeasureSession;
}

export interface FidelityOptions {
  /** The fastest configs of each task re-timed alone before its best is final. */
  topK: number;
  /** Further random successful configs per task timed alone: the disturbance sample. */
  samples: number;
}

export type TuningEvent =
  | {
      type: 'start';
      runId: string;
      plan: TuningPlan;
      servers: { index: number; slice: Slice }[];
      tasks: { key: string; weight: number; flops: number }[];
    }
  | {
      type: 'task';
      taskKey: string;
      /** Configs measured for the task (resumed ones included). */
      trials: number;
      total: number;
      bestMs: number;
      bestGflops: number;
      errors: number;
      client: number;
      server: number;
    }
  /** Σ weight × best latency (Infinity while a task has none). */
  | { type: 'estimate'; elapsedMs: number; estimatedModelMs: number; validTrials: number }
  /** Cumulative measured-kernel ms on one server against the run's wall time so far. */
  | { type: 'occupancy'; server: number; busyMs: number; wallMs: number }
  | { type: 'done'; result: ModelTuningResult };

/** A config timed co-located (the normal path) and alone. ratio = colocated / alone. */
export interface DisturbancePair {
  taskKey: string;
  configKey: string;
  /** `top`: one of the task's fastest (selected by its co-located time); `sample`: at random. */
  kind: 'top' | 'sample';
  colocatedMs: number;
  aloneMs: number;
  ratio: number;
}

export interface DisturbanceReport {
  /** Randomly sampled configs (the unbiased measure of disturbance). */
  samples: number;
  median: number;
  p90: number;
  max: number;
  /** The same over the re-timed top configs (biased low: picked for a fast co-located time). */
  top: { samples: number; median: number; p90: number };
  pairs: DisturbancePair[];
}

export interface TaskSummary {
  key: string;
  weight: number;
  flops: number;
  client: number;
  /** Configs known for the task at the end (resumed included) and measured in this run. */
  trials: number;
  newTrials: number;
  validNewTrials: number;
  errors: Record<FailureKind, number>;
  /** Final best: the fastest alone re-timing among the top configs when re-timed, else co-located. */
  bestMs: number;
  bestGflops: number;
  bestConfig?: Config;
  bestConfigKey?: string;
  /** Best co-located time seen during the search. */
  colocatedBestMs: number;
  /** Transfer points the task's model started from (0: a cold start). */
  priorPoints: number;
  /** Configs re-timed alone. */
  retimed: number;
  stopReason: 'budget' | 'exhausted' | 'stopped';
}

export interface ServerSummary {
  index: number;
  slice: Slice;
  /** Estimated wall ms of measured kernels on this server (launches × timed ms; × timeScale on the simulated GPU). */
  kernelMs: number;
  /** Ms its runner spent on items (kernels, checks, loads). */
  runnerMs: number;
  items: number;
  restarts: number;
}

export interface ModelTuningResult {
  runId: string;
  mode: TuningMode;
  plan: TuningPlan;
  deviceName: string;
  simulated: boolean;
  wallMs: number;
  /** Successful measurements in this run (resumed ones excluded). */
  validTrials: number;
  /** Measurements in this run. */
  trials: number;
  /** Σ weight × final best latency (Infinity when a task has no success). */
  estimatedModelMs: number;
  tasks: TaskSummary[];
  /** Measured-kernel slice-seconds / (wall × slices). */
  occupancy: number;
  servers: ServerSummary[];
  disturbance?: DisturbanceReport;
  stats: PoolStats;
  /** This run's compiles: built, cache hits, build timeouts. */
  compiles: BuilderStats;
  /** The signal stopped the run before every task reached its budget. */
  stopped: boolean;
}
