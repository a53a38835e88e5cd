/**
 * One slice of a real GPU: a context (primary or green), one stream, and everything allocated
 * through it. Several slices may live in one process and interleave on its JS thread, so every
 * method first makes its own context current.
 */
import { SlicetuneError } from '../../util/errors.js';
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
import { CudaError } from '../errors.js';
import type { DeviceInfo, KernelBinary, KernelSource, Slice } from '../types.js';
import { type CudaDriver, check, eventDone, type Handle, outHandle } from './driver.js';
import {
  CudaGraph,
  captureLaunches,
  destroyCudaGraph,
  enqueueReplays,
  enqueueTimedReplays,
  graphApi,
} from './graph.js';
import { type HoldKernel, loadHoldKernel } from './hold.js';
import {
  CudaKernel,
  enqueueLaunch,
  enqueueTimed,
  type Launch,
  loadKernel,
  timingEventCount,
} from './kernels.js';
import { CudaBuffer, packLaunchArgs, waitUntil } from './launch.js';
import { CU_EVENT_DEFAULT } from './prototypes.js';
import { SliceResources } from './slice-resources.js';

/** The slice's context (owned by the backend) and its stream (owned by the slice). */
export interface SliceHandles {
  ctx: Handle;
  stream: Handle;
}

/**
 * Timed groups of at least this many launches (min_repeat_ms raises them to thousands) are
 * replayed as a CUDA graph of GRAPH_GROUP_LAUNCHES launches. Enqueued one by one they would fill
 * the stream's launch queue, and each further launch would block the runner's only thread until
 * the GPU drained it: the other green slices of the process could then enqueue nothing, and
 * their measurements would run one after another instead of side by side.
 */
export const GRAPH_GROUP_MIN = 128;
const GRAPH_GROUP_LAUNCHES = 128;

export class CudaSlice implements SliceContext {
  private readonly res: SliceResources;
  private closed = false;
  private readonly hold: HoldKernel;

  constructor(
    private readonly driver: CudaDriver,
    readonly slice: Slice,
    readonly device: DeviceInfo,
    private readonly handles: SliceHandles,
    private readonly onClose: (slice: CudaSlice) => void,
  ) {
    this.res = new SliceResources(driver);
    // Loaded now, not on the first timing: a module load can wait for the whole device, which
    // would serialize slices whose kernels are already running.
    this.hold = loadHoldKernel(this.enter());
    this.res.kernels.add(this.hold);
  }

  load(binary: KernelBinary, kernel: KernelSource): LoadedKernel {
    const loaded = loadKernel(this.enter(), this, binary, kernel, this.device);
    this.res.kernels.add(loaded);
    return loaded;
  }

  unload(kernel: LoadedKernel): void {
    const cu = this.enter();
    const own = this.ownKernel(kernel);
    this.res.kernels.delete(own);
    check('cuModuleUnload', cu.cuModuleUnload(own.module));
  }

  alloc(bytes: number): DeviceBuffer {
    const cu = this.enter();
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new SlicetuneError('BAD_OPTION', `alloc: ${bytes} is not a byte count`);
    }
    // cuMemAlloc rejects 0 bytes; a 0-byte buffer still gets a real (tiny) allocation.
    const ptr = outHandle((p) => check('cuMemAlloc_v2', cu.cuMemAlloc_v2(p, Math.max(bytes, 1))));
    const buffer = new CudaBuffer(ptr, bytes);
    this.res.buffers.add(buffer);
    return buffer;
  }

  free(buffer: DeviceBuffer): void {
    const cu = this.enter();
    const own = this.ownBuffer(buffer);
    this.res.buffers.delete(own);
    own.freed = true;
    check('cuMemFree_v2', cu.cuMemFree_v2(own.ptr));
  }

  // Copies and fills are ordered on the slice's stream (its kernels run on a non-blocking
  // stream, which the legacy synchronous copies would not order against), then waited for.
  upload(buffer: DeviceBuffer, data: Float32Array): void {
    const cu = this.enter();
    const own = this.ownBuffer(buffer);
    if (data.byteLength > own.bytes) {
      throw new SlicetuneError(
        'BAD_OPTION',
        `upload: ${data.byteLength} bytes into a ${own.bytes}-byte buffer`,
      );
    }
    check(
      'cuMemcpyHtoDAsync_v2',
      cu.cuMemcpyHtoDAsync_v2(own.ptr, data, data.byteLength, this.handles.stream),
    );
    this.synchronize();
  }

  download(buffer: DeviceBuffer): Float32Array {
    const cu = this.enter();
    const own = this.ownBuffer(buffer);
    const out = new Float32Array(Math.floor(own.bytes / 4));
    check('cuMemcpyDtoHAsync_v2', cu.cuMemcpyDtoHAsync_v2(out, own.ptr, out.byteLength, this.handles.stream));
    this.synchronize();
    return out;
  }

  fill(buffer: DeviceBuffer, byte: number): void {
    const cu = this.enter();
    const own = this.ownBuffer(buffer);
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
      throw new SlicetuneError('BAD_OPTION', `fill: ${byte} is not a byte value (0..255)`);
    }
    check('cuMemsetD8Async', cu.cuMemsetD8Async(own.ptr, byte, own.bytes, this.handles.stream));
    this.synchronize();
  }

  async run(kernel: LoadedKernel, source: KernelSource, args: readonly LaunchArg[], timeoutMs: number) {
    const launch = this.prepare(kernel, source, args);
    const [done] = this.res.takeEvents(1, () => this.createEvent()) as [Handle];
    try {
      enqueueLaunch(launch);
      check('cuEventRecord', launch.cu.cuEventRecord(done, launch.stream));
      await this.waitFor(done, timeoutMs, `${source.entry} on ${this.slice.id}`);
    } finally {
      this.res.returnEvents([done]);
    }
  }

  async time(kernel: LoadedKernel, source: KernelSource, args: readonly LaunchArg[], options: TimingOptions) {
    const { count, flushL2, timeoutMs } = options;
    if (!Number.isInteger(count) || count < 1) {
      throw new SlicetuneError('BAD_OPTION', `time: count must be a positive integer, got ${count}`);
    }
    const launch = this.prepare(kernel, source, args);
    if (!flushL2 && count >= GRAPH_GROUP_MIN && this.driver.graph) {
      return this.timeAsGraph(launch, count, timeoutMs, `${count} launches of ${source.entry}`);
    }
    const scratch = flushL2 ? this.res.l2Scratch(this.device.l2Bytes) : undefined;
    const events = this.res.takeEvents(timingEventCount(count, flushL2), () => this.createEvent());
    try {
      const timed = enqueueTimed(launch, count, events, scratch, this.hold);
      await this.waitFor(timed.last, timeoutMs, `${count} launches of ${source.entry} on ${this.slice.id}`);
      return timed.meanMs();
    } finally {
      this.res.returnEvents(events);
    }
  }

  /** A long timed group as replays of a captured graph (GRAPH_GROUP_MIN); rounds `count` up. */
  private async timeAsGraph(launch: Launch, count: number, timeoutMs: number, what: string) {
    const api = graphApi(this.driver);
    const graph = captureLaunches(api, this, launch.stream, Array(GRAPH_GROUP_LAUNCHES).fill(launch));
    const events = this.res.takeEvents(2, () => this.createEvent()) as [Handle, Handle];
    let ms: number;
    try {
      const replays = Math.ceil(count / GRAPH_GROUP_LAUNCHES);
      const timed = enqueueTimedReplays(launch.cu, api, launch.stream, graph, replays, events, this.hold);
      await this.waitFor(timed.last, timeoutMs, `${what} on ${this.slice.id} (graph replays)`);
      ms = timed.meanMs();
    } catch (e) {
      // The timing's own error is the one to report; the graph goes with the context.
      this.res.returnEvents(events);
      destroyCudaGraph(api, graph);
      throw e;
    }
    this.res.returnEvents(events);
    this.enter();
    const [error] = destroyCudaGraph(api, graph);
    if (error) throw error;
    return ms;
  }

  captureGraph(launches: readonly GraphLaunch[]): KernelGraph {
    if (launches.length === 0) throw new SlicetuneError('BAD_OPTION', 'captureGraph: no launches to capture');
    const api = graphApi(this.driver);
    // Checked and packed before the capture starts: a bad argument must not break a capture.
    const prepared = launches.map((l) => this.prepare(l.kernel, l.source, l.args));
    this.enter();
    const graph = captureLaunches(api, this, this.handles.stream, prepared);
    this.res.graphs.add(graph);
    return graph;
  }

  async replayGraph(graph: KernelGraph, options: GraphReplayOptions): Promise<number[]> {
    const { count, timeoutMs } = options;
    if (!Number.isInteger(count) || count < 1) {
      throw new SlicetuneError('BAD_OPTION', `replayGraph: count must be a positive integer, got ${count}`);
    }
    const cu = this.enter();
    const own = this.ownGraph(graph);
    const events = this.res.takeEvents(2 * count, () => this.createEvent());
    try {
      const api = graphApi(this.driver);
      const replays = enqueueReplays(cu, api, this.handles.stream, own, count, events, this.hold);
      const what = `${count} replays of a ${own.launches}-launch graph on ${this.slice.id}`;
      await this.waitFor(replays.last, timeoutMs, what);
      return replays.times();
    } finally {
      this.res.returnEvents(events);
    }
  }

  destroyGraph(graph: KernelGraph): void {
    this.enter();
    const own = this.ownGraph(graph);
    this.res.graphs.delete(own);
    const [first] = destroyCudaGraph(graphApi(this.driver), own);
    if (first) throw first;
  }

  memInfo(): { free: number; total: number } {
    const cu = this.enter();
    const free = Buffer.alloc(8);
    const total = Buffer.alloc(8);
    check('cuMemGetInfo_v2', cu.cuMemGetInfo_v2(free, total));
    return { free: Number(free.readBigUInt64LE(0)), total: Number(total.readBigUInt64LE(0)) };
  }

  /**
   * Frees everything this slice made (its context belongs to the backend). Errors of a poisoned
   * (sticky) context are ignored: the process is about to be replaced anyway.
   */
  close(): void {
    if (this.closed) return;
    const errors: unknown[] = [];
    try {
      check('cuCtxSetCurrent', this.driver.cu.cuCtxSetCurrent(this.handles.ctx));
    } catch (e) {
      errors.push(e);
    }
    errors.push(...this.res.releaseAll(this.handles.stream));
    this.closed = true;
    this.onClose(this);
    const worth = errors.find((e) => !(e instanceof CudaError && e.sticky));
    if (worth) throw worth;
  }

  private enter(): CudaDriver['cu'] {
    if (this.closed) throw new SlicetuneError('INTERNAL', `slice ${this.slice.id} is closed`);
    const { cu } = this.driver;
    check('cuCtxSetCurrent', cu.cuCtxSetCurrent(this.handles.ctx));
    return cu;
  }

  private synchronize(): void {
    check('cuStreamSynchronize', this.driver.cu.cuStreamSynchronize(this.handles.stream));
  }

  private createEvent(): Handle {
    return outHandle((p) => check('cuEventCreate', this.driver.cu.cuEventCreate(p, CU_EVENT_DEFAULT)));
  }

  /** Makes the context current and checks the kernel and arguments before enqueueing. */
  private prepare(kernel: LoadedKernel, source: KernelSource, args: readonly LaunchArg[]): Launch {
    const cu = this.enter();
    const own = this.ownKernel(kernel);
    return { cu, stream: this.handles.stream, kernel: own, source, params: packLaunchArgs(source, args) };
  }

  private waitFor(event: Handle, timeoutMs: number, what: string): Promise<void> {
    return waitUntil(() => eventDone(this.enter(), event), timeoutMs, what);
  }

  private ownKernel(kernel: LoadedKernel): CudaKernel {
    if (kernel instanceof CudaKernel && kernel.owner === this && this.res.kernels.has(kernel)) return kernel;
    throw new SlicetuneError('BAD_OPTION', `kernel ${kernel.entry} is not loaded in slice ${this.slice.id}`);
  }

  private ownGraph(graph: KernelGraph): CudaGraph {
    if (graph instanceof CudaGraph && graph.owner === this && this.res.graphs.has(graph)) return graph;
    throw new SlicetuneError(
      'BAD_OPTION',
      `graph was not captured in slice ${this.slice.id} (or was destroyed)`,
    );
  }

  private ownBuffer(buffer: DeviceBuffer): CudaBuffer {
    if (buffer instanceof CudaBuffer && this.res.buffers.has(buffer)) return buffer;
    throw new SlicetuneError(
      'BAD_OPTION',
      `buffer of ${buffer.bytes} bytes was not allocated in slice ${this.slice.id} (or was freed)`,
    );
  }
}
