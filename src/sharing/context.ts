/** What every client and task of one model-tuning run shares. */
import type { MeasureSession } from '../measure/session.js';
import type { MeasureOptions } from '../measure/types.js';
import type { RetimeStore } from '../records/retimes.js';
import type { RecordStore } from '../records/store.js';
import type { Provenance } from '../records/types.js';
import type { OccupancyMeter } from './occupancy.js';
import type { Tracker } from './tracker.js';
import type { DisturbancePair, FidelityOptions, TuningEvent, TuningPlan } from './types.js';

export interface RunContext {
  runId: string;
  plan: TuningPlan;
  session: MeasureSession;
  store: RecordStore;
  /** Where re-timings alone go; absent when nothing is re-timed. */
  retimes: RetimeStore | undefined;
  tracker: Tracker;
  meter: OccupancyMeter;
  provenance: Provenance;
  measureOptions: MeasureOptions;
  fidelity: FidelityOptions;
  strategy: string;
  /** Start each task's model from other shares' and similar workloads' records. */
  transfer: boolean;
  /** Each client proposes in a worker thread of its own (see search/strategy-thread.ts). */
  strategyThreads: boolean;
  seed: number;
  batchSize: number;
  trialsPerTask: number;
  /** Aborted by the caller's signal, or when a client fails (the others stop too). */
  signal: AbortSignal;
  startedAt: number;
  emit: (e: TuningEvent) => void;
  /** Called after every measured batch (estimate and occupancy events). */
  afterBatch: (server: number) => void;
  /** Disturbance pairs gathered by the re-timings. */
  pairs: DisturbancePair[];
}

/** Thrown inside a client when the run's signal stops it; never escapes tuneModel. */
export class Stopped extends Error {
  constructor() {
    super('tuning stopped');
    this.name = 'Stopped';
  }
}

/** One client's batches on the GPU one at a time: the next waits while this one is measured. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.tail;
    let unlock = () => {};
    this.tail = new Promise<void>((r) => {
      unlock = r;
    });
    await before;
    try {
      return await fn();
    } finally {
      unlock();
    }
  }
}
