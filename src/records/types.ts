/** The tuning database's record: one measurement with everything that changes its meaning. */
import type { SliceMechanism } from '../gpu/types.js';
import type { MeasureResult } from '../measure/types.js';
import type { Config } from '../space/types.js';

/** Bumped whenever the stored shape of a record changes; readers refuse newer formats. */
export const RECORD_FORMAT_VERSION = 1;

export interface SliceKey {
  mechanism: SliceMechanism;
  /** SMs actually granted. */
  sms: number;
  /** Share of the GPU the slice stands for, percent (the requested share). */
  percent: number;
}

export interface Provenance {
  deviceName: string;
  arch: string;
  driverVersion: string;
  cudaVersion: string;
  slicetuneVersion: string;
  simulated: boolean;
}

export interface TuningRecord {
  formatVersion: number;
  /** Task key: `${workloadKey}|${template}`. */
  taskKey: string;
  workloadKey: string;
  template: string;
  config: Config;
  configKey: string;
  slice: SliceKey;
  result: MeasureResult;
  provenance: Provenance;
  /** ms since epoch. */
  timestamp: number;
  /** Tuning run that produced it (resume and reports group by it). */
  runId: string;
}
