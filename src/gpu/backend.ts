/**
 * The per-process GPU interface a measurement server (runner worker) or the model runtime uses.
 * `cuda/` implements it over the driver API; `sim/` over the analytical model. Methods that
 * enqueue GPU work and wait are async: a process hosting several slices (green contexts)
 * interleaves them on one JS thread while their kernels overlap on the GPU.
 */
import type { DeviceInfo, KernelBinary, KernelSource, Slice, SliceSpec } from './types.js';

export interface DeviceBuffer {
  readonly bytes: number;
}

export interface LoadedKernel {
  readonly entry: string;
  /** Registers per thread the compiler used (cuFuncGetAttribute NUM_REGS; estimated on sim). */
  readonly numRegs: number;
  /** Most threads per block this function can launch with, given its registers. */
  readonly maxThreadsPerBlock: number;
  /** Static shared memory per block, bytes. */
  readonly staticSharedBytes: number;
}

/** A kernel argument as passed at launch: a device buffer, or an int/float scalar. */
export type LaunchArg = DeviceBuffer | { int: number } | { float: number };

export interface TimingOptions {
  /** Launches in this timed group; the result is the mean time per launch. */
  count: number;
  /** Overwrite the L2 cache before each launch; the flush itself is not timed. */
  flushL2: boolean;
  /** Give up waiting after this long: rejects with KernelTimeoutError (the kernel may still run). */
  timeoutMs: number;
}

/** One kernel launch of a graph to capture: the kernel, its source (launch shape) and arguments. */
export interface GraphLaunch {
  kernel: LoadedKernel;
  source: KernelSource;
  args: readonly LaunchArg[];
}

/**
 * A captured and instantiated CUDA graph of one slice (cuStreamBeginCapture .. cuGraphInstantiate):
 * its launches run in capture order on the slice's stream, each replay one cuGraphLaunch.
 */
export interface KernelGraph {
  /** Kernel launches in the graph. */
  readonly launches: number;
}

export interface GraphReplayOptions {
  /** Replays enqueued back to back; each is timed alone between its own pair of events. */
  count: number;
  /** Give up waiting for the last replay after this long: rejects with KernelTimeoutError. */
  timeoutMs: number;
}

export interface SliceContext {
  readonly slice: Slice;
  readonly device: DeviceInfo;
  /** Loads a binary for `kernel`; throws a ResourceError when the launch shape cannot fit. */
  load(binary: KernelBinary, kernel: KernelSource): LoadedKernel;
  unload(kernel: LoadedKernel): void;
  alloc(bytes: number): DeviceBuffer;
  free(buffer: DeviceBuffer): void;
  upload(buffer: DeviceBuffer, data: Float32Array): void;
  download(buffer: DeviceBuffer): Float32Array;
  /** Sets every byte of the buffer (0xff makes every f32 a NaN: the checker's poison). */
  fill(buffer: DeviceBuffer, byte: number): void;
  /** Launches once and waits: for the correctness check. */
  run(
    kernel: LoadedKernel,
    source: KernelSource,
    args: readonly LaunchArg[],
    timeoutMs: number,
  ): Promise<void>;
  /** Times `count` launches with device events; resolves to the mean milliseconds per launch. */
  time(
    kernel: LoadedKernel,
    source: KernelSource,
    args: readonly LaunchArg[],
    options: TimingOptions,
  ): Promise<number>;
  /**
   * Captures the launches, in order, into a CUDA graph on this slice's stream and instantiates it.
   * Arguments are bound at capture: the buffers must stay allocated while the graph lives.
   */
  captureGraph(launches: readonly GraphLaunch[]): KernelGraph;
  /** Replays the graph `count` times; resolves to each replay's milliseconds (device events). */
  replayGraph(graph: KernelGraph, options: GraphReplayOptions): Promise<number[]>;
  /** Destroys the graph and its instantiation (closing the slice destroys those left). */
  destroyGraph(graph: KernelGraph): void;
  memInfo(): { free: number; total: number };
  close(): void;
}

export interface BackendOptions {
  /** Device ordinal. */
  device?: number;
  /**
   * Simulated GPU only: how many slices share the device at once (DRAM bandwidth is split among
   * them) and, for `timeslice`, how many processes take turns. Ignored on real GPUs.
   */
  coRunningSlices?: number;
  /** Simulated GPU only: wall-clock seconds slept per simulated second (0 = do not sleep). */
  timeScale?: number;
  /** Simulated GPU only: seed of the measurement noise. */
  seed?: number;
}

export interface GpuBackend {
  readonly info: DeviceInfo;
  /** Carves a slice in this process. `mps` expects the process to run under an MPS daemon. */
  openSlice(spec: SliceSpec): SliceContext;
  close(): void;
}

/** Turns CUDA C into a binary. Compile workers hold one; it never opens the GPU. */
export interface Compiler {
  readonly arch: string;
  /** Throws CompileError (with the log) when the source does not compile. */
  compile(kernel: KernelSource): KernelBinary;
}
