/**
 * A measurement's outcome is a value: success with every timing, or a failure of one closed
 * kind. Failures never escape the tuning loop as exceptions; they cost Infinity.
 */
import type { KernelSource, Slice } from '../gpu/types.js';
import type { Tolerance } from './check.js';

export type FailureKind = 'compile' | 'resources' | 'fault' | 'timeout' | 'wrong';
export const FAILURE_KINDS: readonly FailureKind[] = ['compile', 'resources', 'fault', 'timeout', 'wrong'];

export interface MeasureSuccess {
  ok: true;
  /** Mean milliseconds per launch of each repeat (every repeat kept). */
  timesMs: number[];
  /** The reported latency: median of timesMs. */
  medianMs: number;
  compileMs: number;
  /** Whether the output was checked against the reference, and the worst error seen. */
  checked: boolean;
  maxRelError: number;
  /** Hash of the binary that was timed. */
  binaryHash: string;
  /** Registers per thread the compiler used. */
  registers: number;
}

export interface MeasureFailure {
  ok: false;
  kind: FailureKind;
  message: string;
  compileMs: number;
  binaryHash?: string;
}

export type MeasureResult = MeasureSuccess | MeasureFailure;

/** Latency used for ranking: failures cost Infinity. */
export function costOf(result: MeasureResult): number {
  return result.ok ? result.medianMs : Number.POSITIVE_INFINITY;
}

export interface MeasureOptions {
  /** Untimed launches before timing (module load, clocks, caches). */
  warmup: number;
  /** Launches averaged into one timing. */
  number: number;
  /** Timings kept per config; the median is reported. */
  repeat: number;
  /** Raise `number` until one repeat lasts at least this long (TVM's min_repeat_ms). */
  minRepeatMs: number;
  /** Overwrite L2 before each timed launch (cold-cache timing). */
  flushL2: boolean;
  /** A launch that has not finished after this long is a `timeout`. */
  timeoutMs: number;
  /** Compare the first run with the reference output. */
  check: boolean;
}

/** The most launches in one timed group, however short the kernel (bounds min_repeat_ms). */
const MAX_LAUNCHES_PER_GROUP = 10_000;

/**
 * Launches in each timed group: `number`, raised so that a group lasts `minRepeatMs` at
 * `perLaunchMs` (the warm-up's time per launch) when a warm-up ran to size it, as TVM does.
 */
export function launchesPerGroup(options: MeasureOptions, perLaunchMs: number): number {
  if (options.minRepeatMs <= 0 || options.warmup <= 0 || !(perLaunchMs > 0)) return options.number;
  return Math.min(
    MAX_LAUNCHES_PER_GROUP,
    Math.max(options.number, Math.ceil(options.minRepeatMs / perLaunchMs)),
  );
}

/**
 * `quick`, slicetune's default: 25 timed launches, well under a millisecond of GPU time for most
 * kernels, so a tuning loop is bound by its compiles, not its measurements.
 */
export const DEFAULT_MEASURE_OPTIONS: MeasureOptions = {
  warmup: 2,
  number: 5,
  repeat: 5,
  minRepeatMs: 0,
  flushL2: false,
  timeoutMs: 2_000,
  check: true,
};

/**
 * `autotvm`: the measurement of TVM's GPU tuning tutorials (LocalRunner(number=20, repeat=3,
 * timeout=4, min_repeat_ms=150)), which the paper's AutoTVM runs follow: every config holds the
 * GPU for at least 3 x 150 ms, so its clocks settle and a tuning loop is bound by measurement.
 * Two warm-up launches: TVM's one, and one to size `number` for min_repeat_ms.
 */
export const AUTOTVM_MEASURE_OPTIONS: MeasureOptions = {
  warmup: 2,
  number: 20,
  repeat: 3,
  minRepeatMs: 150,
  flushL2: false,
  timeoutMs: 4_000,
  check: true,
};

export const MEASURE_PROTOCOLS = {
  quick: DEFAULT_MEASURE_OPTIONS,
  autotvm: AUTOTVM_MEASURE_OPTIONS,
} as const;
export type MeasureProtocol = keyof typeof MEASURE_PROTOCOLS;
export const MEASURE_PROTOCOL_NAMES = Object.keys(MEASURE_PROTOCOLS) as [
  MeasureProtocol,
  ...MeasureProtocol[],
];

/** One thing to measure: a kernel and the reference kernel that computes the same function. */
export interface MeasureInput {
  /** Caller's id for the result (e.g. task key + config key). */
  id: string;
  kernel: KernelSource;
  /** Trusted kernel with the same arguments and `computes`; its output is the check's truth. */
  reference: KernelSource;
  /** Check tolerance fitting the dtype and reduction length (ops' toleranceFor). */
  tolerance?: Tolerance;
}

/** A result with where and when it was measured. */
export interface MeasuredItem {
  id: string;
  result: MeasureResult;
  slice: Slice;
  /** Wall-clock ms the runner spent on this item (excluding compile). */
  runWallMs: number;
}
