/**
 * One slice of a real GPU: a context (primary or green), one stream, and everything allocated
 * through it. Several slices may live in one process and interleave on its JS thread, so every
 * method first makes its own context current.
 */
import { SlicetuneError } from '../../util/errors.js';
import type { DeviceBuffer, LaunchArg, LoadedKernel, SliceContext, TimingOptions } from '../backend.js';
import { CudaError, ResourceError } from '../errors.js';
import type { DeviceInfo, KernelBinary, KernelSource, Slice } from '../types.js';
import {
  type CudaDriver,
  check,
  eventDone,
  type Handle,
  launchKernel,
  outFloat,
  outHandle,
  outInt,
} from './driver.js';
import { destroyGreenContext } from './green.js';
import { CudaBuffer, launchShapeProblem, packLaunchArgs, waitUntil } from './launch.js';
import { CU_EVENT_DEFAULT, FuncAttr } from './prototypes.js';
import { CUDA_ERROR_INVALID_VALUE, CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES } from './results.js';
import { SliceResources } from './slice-resources.js';

/** Dynamic shared memory beyond this needs cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES). */
const DEFAULT_SHARED_LIMIT = 48 * 1024;

export interface SliceHandles {
  ctx: Handle;
  stream: Handle;
  /** Set for green slices: destroyed on close. */
  green?: Handle;
}

export class CudaKernel implements LoadedKernel {
  constructor(
    readonly owner: CudaSlice,
    readonly module: Handle,
    readonly fn: Handle,
    readonly entry: string,
    readonly numRegs: number,
    readonly maxThreadsPerBlock: number,
    readonly staticSharedBytes: number,
  ) {}
}

export class CudaSlice implements SliceContext {
  private readonly res: SliceResources;
  private closed = false;

  constructor(
    private readonly driver: CudaDriver,
    readonly slice: Slice,
    readonly device: DeviceInfo,
    private readonly handles: SliceHandles,
    private readonly onClose: (slice: CudaSlice) => void,
  ) {
    this.res = new SliceResources(driver);
  }

  load(binary: KernelBinary, kernel: KernelSource): LoadedKernel {
    const cu = this.enter();
    const module = outHandle((p) => check('cuModuleLoadData', cu.cuModuleLoadData(p, binary.bytes)));
    try {
      const fn = outHandle((p) =>
        check(`cuModuleGetFunction(${kernel.entry})`, cu.cuModuleGetFunction(p, module, kernel.entry)),
      );
      const attr = (which: number, name: string) =>
        outInt((p) => check(`cuFuncGetAttribute(${name})`, cu.cuFuncGetAttribute(p, which, fn)));
      const loaded = new CudaKernel(
        this,
        module,
        fn,
        kernel.entry,
        attr(FuncAttr.NUM_REGS, 'NUM_REGS'),
        attr(FuncAttr.MAX_THREADS_PER_BLOCK, 'MAX_THREADS_PER_BLOCK'),
        attr(FuncAttr.SHARED_SIZE_BYTES, 'SHARED_SIZE_BYTES'),
      );
      const problem = launchShapeProblem(loaded, kernel, this.device);
      if (problem) throw new ResourceError(problem);
      if (loaded.staticSharedBytes + kernel.dynamicSharedBytes > DEFAULT_SHARED_LIMIT) {
        const set = cu.cuFuncSetAttribute(
          fn,
          FuncAttr.MAX_DYNAMIC_SHARED_SIZE_BYTES,
          kernel.dynamicSharedBytes,
        );
        check('cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)', set);
      }
      this.res.kernels.add(loaded);
      return loaded;
    } catch (e) {
      this.res.unloadModuleQuietly(module);
      throw e;
    }
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
    const cu = this.enter();
    const own = this.ownKernel(kernel);
    const params = packLaunchArgs(source, args);
    const events = this.res.takeEvents(1, () => this.createEvent());
    try {
      this.launch(own, source, params);
      check('cuEventRecord', cu.cuEventRecord(events[0], this.handles.stream));
      await this.waitFor(events[0] as Handle, timeoutMs, `${source.entry} on ${this.slice.id}`);
    } finally {
      this.res.returnEvents(events);
    }
  }

  async time(kernel: LoadedKernel, source: KernelSource, args: readonly LaunchArg[], options: TimingOptions) {
    const cu = this.enter();
    const own = this.ownKernel(kernel);
    const { count, flushL2, timeoutMs } = options;
    if (!Number.isInteger(count) || count < 1) {
      throw new SlicetuneError('BAD_OPTION', `time: count must be a positive integer, got ${count}`);
    }
    const params = packLaunchArgs(source, args);
    const stream = this.handles.stream;
    const scratch = flushL2 ? this.res.l2Scratch(this.device.l2Bytes) : undefined;
    // Without a flush one pair of events spans all launches; with it, each launch gets its own
    // pair so that the flush stays outside the timed region.
    const pairs = scratch ? count : 1;
    const events = this.res.takeEvents(2 * pairs, () => this.createEvent());
    const start = (i: number) => events[2 * i] as Handle;
    const end = (i: number) => events[2 * i + 1] as Handle;
    try {
      if (!scratch) check('cuEventRecord', cu.cuEventRecord(start(0), stream));
      for (let i = 0; i < count; i++) {
        if (scratch) {
          check('cuMemsetD8Async', cu.cuMemsetD8Async(scratch.ptr, i & 0xff, scratch.bytes, stream));
          check('cuEventRecord', cu.cuEventRecord(start(i), stream));
        }
        this.launch(own, source, params);
        if (scratch) check('cuEventRecord', cu.cuEventRecord(end(i), stream));
      }
      if (!scratch) check('cuEventRecord', cu.cuEventRecord(end(0), stream));
      await this.waitFor(
        end(pairs - 1),
        timeoutMs,
        `${count} launches of ${source.entry} on ${this.slice.id}`,
      );
      let totalMs = 0;
      for (let i = 0; i < pairs; i++) {
        totalMs += outFloat((p) => check('cuEventElapsedTime', cu.cuEventElapsedTime(p, start(i), end(i))));
      }
      return totalMs / count;
    } finally {
      this.res.returnEvents(events);
    }
  }

  memInfo(): { free: number; total: number } {
    const cu = this.enter();
    const free = Buffer.alloc(8);
    const total = Buffer.alloc(8);
    check('cuMemGetInfo_v2', cu.cuMemGetInfo_v2(free, total));
    return { free: Number(free.readBigUInt64LE(0)), total: Number(total.readBigUInt64LE(0)) };
  }

  /** Frees everything this slice made. Errors of a poisoned (sticky) context are ignored. */
  close(): void {
    if (this.closed) return;
    const errors: unknown[] = [];
    try {
      check('cuCtxSetCurrent', this.driver.cu.cuCtxSetCurrent(this.handles.ctx));
    } catch (e) {
      errors.push(e);
    }
    errors.push(...this.res.releaseAll(this.handles.stream));
    if (this.handles.green !== undefined) {
      const green = this.handles.green;
      try {
        destroyGreenContext(this.driver, green);
      } catch (e) {
        errors.push(e);
      }
    }
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

  private launch(kernel: CudaKernel, source: KernelSource, params: Buffer[]): void {
    try {
      launchKernel(
        this.driver.cu,
        kernel.fn,
        source.grid,
        source.block,
        source.dynamicSharedBytes,
        this.handles.stream,
        params,
      );
    } catch (e) {
      const shapeError =
        e instanceof CudaError &&
        [CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, CUDA_ERROR_INVALID_VALUE].includes(e.cudaCode);
      if (!shapeError) throw e;
      throw new ResourceError(
        `launch of ${source.entry} (grid ${source.grid.join('x')}, block ${source.block.join('x')}, ` +
          `${source.dynamicSharedBytes} B dynamic shared memory, ${kernel.numRegs} registers/thread): ${e.cudaName}`,
      );
    }
  }

  private waitFor(event: Handle, timeoutMs: number, what: string): Promise<void> {
    return waitUntil(() => eventDone(this.enter(), event), timeoutMs, what);
  }

  private ownKernel(kernel: LoadedKernel): CudaKernel {
    if (kernel instanceof CudaKernel && kernel.owner === this && this.res.kernels.has(kernel)) return kernel;
    throw new SlicetuneError('BAD_OPTION', `kernel ${kernel.entry} is not loaded in slice ${this.slice.id}`);
  }

  private ownBuffer(buffer: DeviceBuffer): CudaBuffer {
    if (buffer instanceof CudaBuffer && this.res.buffers.has(buffer)) return buffer;
    throw new SlicetuneError(
      'BAD_OPTION',
      `buffer of ${buffer.bytes} bytes was not allocated in slice ${this.slice.id} (or was freed)`,
    );
  }
}
