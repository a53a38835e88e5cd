/**
 * One slice of the simulated GPU. Launches on a slice queue like a CUDA stream; each takes the
 * model's time (model.ts) with seeded noise and sleeps it, scaled by timeScale, so slices in one
 * process overlap in wall time as green contexts do. A fault or a timeout poisons the whole
 * backend, like a sticky error in a real CUDA context: every later call throws it again.
 */
import type {
  DeviceBuffer,
  GraphLaunch,
  GraphReplayOptions,
  KernelGraph,
  LaunchArg,
  LoadedKernel,
  SliceContext,
  TimingOptions,
} from '../backend.js';
import { KernelTimeoutError } from '../errors.js';
import type { DeviceInfo, KernelBinary, KernelSource, Slice, SliceSpec } from '../types.js';
import { simCudaError } from './cuda-codes.js';
import { checkCapturedLaunches, replaySimGraph, replaysAgree, SimGraph } from './graph.js';
import { bindLaunch, writeOutputs } from './launch-data.js';
import type { MemoryLedger, SimBuffer } from './memory.js';
import {
  GRAPH_NODE_BYTES,
  grantedSms,
  MODULE_ALLOC_UNIT,
  measurementNoise,
  SLICE_CONTEXT_BYTES,
  simulateKernelTime,
} from './model.js';
import { loadModule, SimKernel } from './module.js';
import { sleep } from './sleep.js';

/** What the slices of one backend (one simulated process) share. */
export interface SimProcess {
  readonly device: DeviceInfo;
  readonly ledger: MemoryLedger;
  readonly seed: number;
  readonly timeScale: number;
  readonly coRunningSlices: number;
  readonly openSlices: Set<SimSliceContext>;
  /** The sticky error that ended this process's context, if any. */
  poison: Error | null;
}

export class SimSliceContext implements SliceContext {
  readonly slice: Slice;
  readonly device: DeviceInfo;
  private readonly proc: SimProcess;
  private readonly ledger: MemoryLedger;
  private readonly kernels = new Set<SimKernel>();
  private readonly buffers = new Set<SimBuffer>();
  private readonly graphs = new Set<SimGraph>();
  /** The slice's stream: launches run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Timed groups so far: the noise counter. */
  private groups = 0;
  private closed = false;

  constructor(proc: SimProcess, spec: SliceSpec, ordinal: number) {
    this.proc = proc;
    this.ledger = proc.ledger;
    this.device = proc.device;
    this.slice = {
      id: `sim${this.device.index}-${spec.mechanism}-${spec.percent}-${ordinal}`,
      mechanism: spec.mechanism,
      requestedPercent: spec.percent,
      sms: grantedSms(spec, this.device),
      totalSms: this.device.sms,
      deviceName: this.device.name,
      simulated: true,
    };
    this.ledger.reserve(SLICE_CONTEXT_BYTES, 1, 'cuCtxCreate');
    proc.openSlices.add(this);
  }

  load(binary: KernelBinary, kernel: KernelSource): LoadedKernel {
    this.check('cuModuleLoadData');
    const loaded = loadModule(this, binary, kernel, this.device, this.ledger);
    this.kernels.add(loaded);
    return loaded;
  }

  unload(kernel: LoadedKernel): void {
    this.check('cuModuleUnload');
    const k = this.ownKernel(kernel, 'cuModuleUnload');
    k.unloaded = true;
    this.kernels.delete(k);
    this.ledger.release(k.moduleBytes);
  }

  alloc(bytes: number): DeviceBuffer {
    this.check('cuMemAlloc');
    const buffer = this.ledger.alloc(bytes);
    this.buffers.add(buffer);
    return buffer;
  }

  free(buffer: DeviceBuffer): void {
    this.check('cuMemFree');
    this.ledger.free(buffer);
    this.buffers.delete(buffer as SimBuffer);
  }

  upload(buffer: DeviceBuffer, data: Float32Array): void {
    this.check('cuMemcpyHtoD');
    const b = this.ledger.own(buffer, 'cuMemcpyHtoD');
    if (data.length * 4 > b.bytes)
      throw simCudaError(
        'cuMemcpyHtoD',
        'CUDA_ERROR_INVALID_VALUE',
        `${data.length * 4} bytes into ${b.bytes}`,
      );
    b.data().set(data);
    b.touch();
  }

  download(buffer: DeviceBuffer): Float32Array {
    this.check('cuMemcpyDtoH');
    return this.ledger.own(buffer, 'cuMemcpyDtoH').data().slice();
  }

  fill(buffer: DeviceBuffer, byte: number): void {
    this.check('cuMemsetD8');
    if (!Number.isInteger(byte) || byte < 0 || byte > 255)
      throw simCudaError('cuMemsetD8', 'CUDA_ERROR_INVALID_VALUE', `fill byte ${byte} is not 0..255`);
    this.ledger.own(buffer, 'cuMemsetD8').fillBytes(byte);
  }

  async run(kernel: LoadedKernel, source: KernelSource, args: readonly LaunchArg[], timeoutMs: number) {
    await this.launch(kernel, source, args, 1, timeoutMs);
  }

  time(kernel: LoadedKernel, source: KernelSource, args: readonly LaunchArg[], options: TimingOptions) {
    return this.launch(kernel, source, args, options.count, options.timeoutMs);
  }

  captureGraph(launches: readonly GraphLaunch[]): KernelGraph {
    this.check('cuStreamBeginCapture');
    const steps = launches.map((l) => ({ ...l }));
    for (const step of steps) {
      const k = this.ownKernel(step.kernel, 'cuLaunchKernel');
      if (k.entry !== step.source.entry)
        throw simCudaError(
          'cuLaunchKernel',
          'CUDA_ERROR_INVALID_HANDLE',
          `"${k.entry}" launched as "${step.source.entry}"`,
        );
    }
    checkCapturedLaunches(steps, this.ledger);
    const bytes = this.ledger.reserve(
      GRAPH_NODE_BYTES * steps.length,
      MODULE_ALLOC_UNIT,
      'cuGraphInstantiate',
    );
    const graph = new SimGraph(this, steps, bytes, replaysAgree(steps));
    this.graphs.add(graph);
    return graph;
  }

  replayGraph(graph: KernelGraph, options: GraphReplayOptions): Promise<number[]> {
    const result = this.queue.then(() => this.executeGraph(graph, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  destroyGraph(graph: KernelGraph): void {
    this.check('cuGraphExecDestroy');
    const g = this.ownGraph(graph, 'cuGraphExecDestroy');
    g.destroyed = true;
    this.graphs.delete(g);
    this.ledger.release(g.graphBytes);
  }

  memInfo(): { free: number; total: number } {
    this.check('cuMemGetInfo');
    return { free: this.ledger.freeBytes, total: this.ledger.total };
  }

  /** Destroys the slice's context: its modules and buffers go with it (no error if poisoned). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const g of this.graphs) this.ledger.release(g.graphBytes);
    this.graphs.clear();
    for (const k of this.kernels) this.ledger.release(k.moduleBytes);
    for (const b of this.buffers) if (!b.freed) this.ledger.free(b);
    this.kernels.clear();
    this.buffers.clear();
    this.ledger.release(SLICE_CONTEXT_BYTES);
    this.proc.openSlices.delete(this);
  }

  /** `count` launches queued on this slice's stream; resolves to the noisy ms per launch. */
  private launch(
    kernel: LoadedKernel,
    source: KernelSource,
    args: readonly LaunchArg[],
    count: number,
    timeoutMs: number,
  ): Promise<number> {
    const result = this.queue.then(() => this.execute(kernel, source, args, count, timeoutMs));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async execute(
    kernel: LoadedKernel,
    source: KernelSource,
    args: readonly LaunchArg[],
    count: number,
    timeoutMs: number,
  ): Promise<number> {
    const call = 'cuLaunchKernel';
    this.check(call);
    if (!Number.isInteger(count) || count < 1 || !(timeoutMs > 0))
      throw simCudaError(call, 'CUDA_ERROR_INVALID_VALUE', `count ${count}, timeout ${timeoutMs} ms`);
    const k = this.ownKernel(kernel, call);
    if (k.entry !== source.entry)
      throw simCudaError(call, 'CUDA_ERROR_INVALID_HANDLE', `"${k.entry}" launched as "${source.entry}"`);
    const bound = bindLaunch(source, args, this.ledger);
    const { seed, timeScale, coRunningSlices, openSlices } = this.proc;
    const modelMs = simulateKernelTime(source, this.device, this.slice.sms, {
      mechanism: this.slice.mechanism,
      coRunningSlices: Math.max(coRunningSlices, openSlices.size),
    });
    const ms = modelMs * measurementNoise(seed, this.slice.id, this.groups++);
    const behavior = source.model.simBehavior;
    if (behavior === 'block') {
      // A driver call stuck behind a hung kernel: the thread never returns (only a kill helps).
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    if (behavior === 'fault' || bound.outOfBounds) {
      await sleep(ms * timeScale);
      const why = bound.outOfBounds ?? 'planted fault (simBehavior)';
      throw this.poison(simCudaError(call, 'CUDA_ERROR_ILLEGAL_ADDRESS', `"${source.entry}": ${why}`));
    }
    if (ms * count > timeoutMs) {
      await sleep(timeoutMs * timeScale);
      const what =
        behavior === 'hang' ? 'never finishes (planted hang)' : `needs ${(ms * count).toFixed(3)} ms`;
      const where = `kernel "${source.entry}" on simulated slice ${this.slice.id}`;
      throw this.poison(new KernelTimeoutError(`${where} timed out after ${timeoutMs} ms: ${what}`));
    }
    await sleep(ms * count * timeScale);
    writeOutputs(source, bound);
    return ms;
  }

  private executeGraph(graph: KernelGraph, options: GraphReplayOptions): Promise<number[]> {
    const call = 'cuGraphLaunch';
    this.check(call);
    const g = this.ownGraph(graph, call);
    for (const step of g.steps) this.ownKernel(step.kernel, call);
    const { seed, timeScale, coRunningSlices, openSlices } = this.proc;
    return replaySimGraph(g, options, {
      device: this.device,
      slice: this.slice,
      coRunningSlices: Math.max(coRunningSlices, openSlices.size),
      timeScale,
      ledger: this.ledger,
      noise: () => measurementNoise(seed, this.slice.id, this.groups++),
      poison: (e) => this.poison(e),
    });
  }

  private ownGraph(graph: KernelGraph, call: string): SimGraph {
    if (!(graph instanceof SimGraph) || graph.owner !== this || graph.destroyed)
      throw simCudaError(
        call,
        'CUDA_ERROR_INVALID_HANDLE',
        'graph was not captured on this slice (or was destroyed)',
      );
    return graph;
  }

  private poison(error: Error): Error {
    this.proc.poison ??= error;
    return error;
  }

  private check(call: string): void {
    if (this.proc.poison) throw this.proc.poison;
    if (this.closed)
      throw simCudaError(call, 'CUDA_ERROR_INVALID_CONTEXT', `slice ${this.slice.id} is closed`);
  }

  private ownKernel(kernel: LoadedKernel, call: string): SimKernel {
    if (!(kernel instanceof SimKernel) || kernel.owner !== this || kernel.unloaded)
      throw simCudaError(
        call,
        'CUDA_ERROR_INVALID_HANDLE',
        `kernel "${kernel.entry}" is not loaded on this slice`,
      );
    return kernel;
  }
}
