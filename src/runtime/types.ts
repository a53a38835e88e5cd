/** The runtime's data: which kernel each node runs, the execution plan, and the run report. */
import type { BackendOptions } from '../gpu/backend.js';
import type { DeviceChoice } from '../gpu/device.js';
import type { KernelSource, Slice, SliceMechanism } from '../gpu/types.js';
import type { ZooOptions } from '../graph/index.js';

/** The kernel a tunable node runs and where its config came from. */
export interface KernelChoice {
  node: string;
  workloadKey: string;
  template: string;
  configKey: string;
  /** From a tuning record (else the template's default config). */
  tuned: boolean;
  /** The share the record was tuned at, percent; null when untuned. */
  tunedPercent: number | null;
  /** Tuned at exactly the share asked for. */
  exact: boolean;
  /** How the choice was made (the record store's note on the share, or why it is untuned). */
  note: string;
  /** The record's own median latency on its slice, ms; null when untuned. */
  recordMs: number | null;
  precision: 'f32' | 'tf32';
}

export type LaunchKind = 'tuned' | 'untuned' | 'fixed';

/** One kernel launch of the model, with the tensor bound to each of its arguments. */
export interface PlannedLaunch {
  node: string;
  op: string;
  kind: LaunchKind;
  source: KernelSource;
  /** Tensor name per argument of source.args, in order. */
  tensors: string[];
}

export type StorageRole = 'input' | 'weight' | 'activation';

export interface ExecutionPlan {
  /** The optimized graph the plan runs. */
  graphName: string;
  /** Tensors that own a device buffer. */
  storage: Map<string, { elements: number; role: StorageRole }>;
  /** Every tensor the launches or outputs use -> the tensor whose buffer holds it (aliases resolved). */
  home: Map<string, string>;
  launches: PlannedLaunch[];
  /** One per tunable node, in graph order. */
  choices: KernelChoice[];
  /** Nodes that run no kernel (reshape, flatten, identity...): their output aliases their input. */
  aliasNodes: number;
  /** Graph inputs and outputs with their shapes. */
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
}

export interface LatencyStats {
  runs: number;
  warmup: number;
  medianMs: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

export interface ReferenceComparison {
  against: 'cpu-reference' | 'onnxruntime-cpu';
  output: string;
  /** max |gpu - ref| / max |ref| over the output (scaled error). */
  scaledError: number;
  maxAbsError: number;
  tolerance: number;
  nonFinite: number;
  ok: boolean;
}

export type Correctness =
  | { checked: false; reason: string }
  | {
      checked: true;
      ok: boolean;
      tolerance: number;
      toleranceRule: string;
      comparisons: ReferenceComparison[];
      /** References that could not run (e.g. onnxruntime refusing an exported model), and why. */
      unavailable: { against: ReferenceComparison['against']; reason: string }[];
    };

export interface KernelSummary {
  tunableNodes: number;
  tuned: number;
  untuned: number;
  /** Tuned nodes by the share (percent, as a string key) their record was tuned at. */
  byTunedShare: Record<string, number>;
  /** Tuned nodes whose record came from another share (nearest-share rule). */
  nearestShare: number;
  fixedLaunches: number;
  aliasNodes: number;
  launches: number;
  uniqueKernels: number;
  choices: KernelChoice[];
}

export interface RunReport {
  model: string;
  source: string;
  device: { name: string; arch: string; sms: number; simulated: boolean };
  slice: Slice;
  share: { percent: number; mechanism: SliceMechanism };
  /** Present on the simulated GPU: every number is a model's prediction. */
  simulatedLabel?: string;
  latency: LatencyStats;
  correctness: Correctness;
  kernels: KernelSummary;
  memory: { buffers: number; bufferBytes: number; usedAfterSetupBytes: number; usedAfterRunsBytes: number };
  notes: string[];
}

/** Everything runModel needs, as plain data (it crosses into an MPS client process). */
export interface RunModelOptions {
  /** A zoo model name or an .onnx path. */
  model: string;
  zoo?: ZooOptions;
  /** Record store file; undefined runs every tunable node untuned. */
  db?: string;
  percent: number;
  /**
   * Run the kernels tuned at this share (RecordStore.best at it, nearest-share rule) on the
   * `percent` slice: a variant tuned at X run at Y. Default: `percent`.
   */
  tunedAtPercent?: number;
  mechanism: SliceMechanism;
  device: DeviceChoice;
  /** Timed runs (default 200) after `warmup` untimed ones (default 20). */
  runs?: number;
  warmup?: number;
  /** Seed of the random input. */
  seed?: number;
  /** Compare with the references on a real GPU (default true). */
  check?: boolean;
  /** Which references (default both: the CPU reference executor and onnxruntime-node on the CPU). */
  references?: ('cpu-reference' | 'onnxruntime-cpu')[];
  /** Keep reference outputs here, keyed by model, options, seed and engine (benchmarks rerun models). */
  referenceCacheDir?: string;
  allowTensorCores?: boolean;
  /** Only records tuned with this mechanism. */
  recordMechanism?: SliceMechanism;
  compileWorkers?: number;
  backendOptions?: BackendOptions;
}
