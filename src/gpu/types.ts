/**
 * The contract between everything above `gpu/` and the two backends below it (`cuda/`, `sim/`).
 * Nothing here touches a driver; both backends implement these interfaces, so `measure/`,
 * `runtime/` and `sharing/` never know whether they run on a real or a simulated GPU.
 */

export type Dim3 = readonly [number, number, number];

export type BackendKind = 'cuda' | 'sim';

/** What a device reports about itself. `simulated` is true for the analytical model. */
export interface DeviceInfo {
  backend: BackendKind;
  simulated: boolean;
  index: number;
  name: string;
  computeCapability: { major: number; minor: number };
  /** NVRTC target, e.g. `sm_90`. */
  arch: string;
  sms: number;
  warpSize: number;
  maxThreadsPerBlock: number;
  maxThreadsPerSm: number;
  maxBlocksPerSm: number;
  sharedMemPerBlock: number;
  /** Largest dynamic shared memory a block may opt into (cuFuncSetAttribute). */
  sharedMemPerBlockOptin: number;
  sharedMemPerSm: number;
  regsPerBlock: number;
  regsPerSm: number;
  l2Bytes: number;
  memoryBytes: number;
  clockKHz: number;
  memClockKHz: number;
  memBusWidthBits: number;
  /** e.g. `13.0` from cuDriverGetVersion; the kernel-mode driver (580.x) where known. */
  driverVersion: string;
  /** NVRTC version, e.g. `13.0`. */
  cudaVersion: string;
}

/**
 * How a slice of the GPU is carved out:
 * - `exclusive`: the whole GPU, one measurement at a time;
 * - `green`: a CUDA green context with a requested SM count (the driver rounds it up);
 * - `mps`: a process under an MPS daemon with CUDA_MPS_ACTIVE_THREAD_PERCENTAGE;
 * - `timeslice`: plain processes without MPS; the driver time-slices them (the control).
 */
export type SliceMechanism = 'exclusive' | 'green' | 'mps' | 'timeslice';
export const SLICE_MECHANISMS: readonly SliceMechanism[] = ['exclusive', 'green', 'mps', 'timeslice'];

/** A request for a slice: a mechanism and a share of the GPU in percent (1..100). */
export interface SliceSpec {
  mechanism: SliceMechanism;
  percent: number;
}

/** A slice as granted: the SMs it really got, which may differ from what was asked. */
export interface Slice {
  id: string;
  mechanism: SliceMechanism;
  requestedPercent: number;
  /** SMs actually granted (green: after the driver's rounding; mps: the SM-count attribute). */
  sms: number;
  totalSms: number;
  deviceName: string;
  simulated: boolean;
}

/** One kernel argument. Buffer arguments are device pointers; the runner owns their memory. */
export type KernelArg =
  | {
      kind: 'buffer';
      name: string;
      dtype: 'f32';
      elements: number;
      /** input: filled with random data; output: poisoned, then checked. */
      role: 'input' | 'output';
    }
  | { kind: 'scalar'; name: string; ctype: 'int' | 'float'; value: number };

/**
 * What the simulated GPU needs to know about a kernel, since it cannot execute CUDA C.
 * Templates fill it from (workload, config); it also feeds the cost model's features.
 */
export interface KernelModel {
  /** Floating-point operations the kernel performs (2 per multiply-add). */
  flops: number;
  /** Bytes the kernel must move through DRAM at the least (each input read, output written once). */
  dramBytes: number;
  /** Estimated registers per thread. */
  regsPerThread: number;
  /** Static plus dynamic shared memory per block, bytes. */
  sharedBytesPerBlock: number;
  /**
   * Fraction of an SM's peak FP32 rate this kernel's inner loop can sustain when the SM is
   * fully occupied (0..1]: shaped by the template from tile sizes, reuse, vector width, unroll.
   */
  computeEfficiency: number;
  /** Bytes actually fetched from L2/DRAM given the tiling's reuse (>= dramBytes). */
  trafficBytes: number;
  /**
   * Planted misbehaviour, for tests and benchmarks on the simulated GPU only (a real GPU finds
   * out by running the code): `fault` raises an illegal-address error, `hang` never finishes,
   * `wrong` writes a wrong answer, `nowrite` leaves the output unwritten, `block` blocks the
   * process's thread for good (as a driver call stuck behind a hung kernel does),
   * `compile-hang` never finishes compiling (as NVRTC can take many seconds on an over-unrolled
   * kernel): the builder's timeout must end it.
   */
  simBehavior?: 'fault' | 'hang' | 'wrong' | 'nowrite' | 'block' | 'compile-hang';
}

/** A kernel ready to compile and launch: written by a template, consumed by measure/runtime. */
export interface KernelSource {
  /** The `extern "C" __global__` function to launch. */
  entry: string;
  code: string;
  grid: Dim3;
  block: Dim3;
  dynamicSharedBytes: number;
  /** Canonical argument list of the workload; the reference kernel has the same list. */
  args: readonly KernelArg[];
  /**
   * What the kernel computes: the workload key. Two kernels with the same `computes` and the
   * same inputs must produce the same output (up to tolerance); the checker relies on that.
   */
  computes: string;
  /** Extra NVRTC options (e.g. `--use_fast_math`); the target architecture is added by the builder. */
  compileOptions?: readonly string[];
  model: KernelModel;
}

/** A compiled kernel: the CUBIN for the device's own architecture (or the simulated artefact). */
export interface KernelBinary {
  /** Content hash of the binary; identical binaries are measured once. */
  hash: string;
  arch: string;
  bytes: Uint8Array;
  compileMs: number;
  log: string;
}
