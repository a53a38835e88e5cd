/** Loading a CUBIN as a function, and enqueueing its launches (plain or timed) on a stream. */
import type { LoadedKernel } from '../backend.js';
import { CudaError, ResourceError } from '../errors.js';
import type { DeviceInfo, KernelBinary, KernelSource } from '../types.js';
import { type CudaDriver, check, type Handle, launchKernel, outFloat, outHandle, outInt } from './driver.js';
import { enqueueHold, type HoldKernel } from './hold.js';
import { type CudaBuffer, launchShapeProblem } from './launch.js';
import { FuncAttr } from './prototypes.js';
import { CUDA_ERROR_INVALID_VALUE, CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES } from './results.js';

type Cu = CudaDriver['cu'];

/** Dynamic shared memory beyond this needs cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES). */
const DEFAULT_SHARED_LIMIT = 48 * 1024;

export class CudaKernel implements LoadedKernel {
  constructor(
    /** The slice that loaded it: kernels run only there. */
    readonly owner: object,
    readonly module: Handle,
    readonly fn: Handle,
    readonly entry: string,
    readonly numRegs: number,
    readonly maxThreadsPerBlock: number,
    readonly staticSharedBytes: number,
  ) {}
}

/**
 * Loads the binary into the current context and checks that `kernel`'s launch shape fits the
 * function (ResourceError naming the resource otherwise). The module is unloaded on failure.
 */
export function loadKernel(
  cu: Cu,
  owner: object,
  binary: KernelBinary,
  kernel: KernelSource,
  device: DeviceInfo,
): CudaKernel {
  const module = outHandle((p) => check('cuModuleLoadData', cu.cuModuleLoadData(p, binary.bytes)));
  try {
    const fn = outHandle((p) =>
      check(`cuModuleGetFunction(${kernel.entry})`, cu.cuModuleGetFunction(p, module, kernel.entry)),
    );
    const attr = (which: number, name: string) =>
      outInt((p) => check(`cuFuncGetAttribute(${name})`, cu.cuFuncGetAttribute(p, which, fn)));
    const loaded = new CudaKernel(
      owner,
      module,
      fn,
      kernel.entry,
      attr(FuncAttr.NUM_REGS, 'NUM_REGS'),
      attr(FuncAttr.MAX_THREADS_PER_BLOCK, 'MAX_THREADS_PER_BLOCK'),
      attr(FuncAttr.SHARED_SIZE_BYTES, 'SHARED_SIZE_BYTES'),
    );
    const problem = launchShapeProblem(loaded, kernel, device);
    if (problem) throw new ResourceError(problem);
    if (loaded.staticSharedBytes + kernel.dynamicSharedBytes > DEFAULT_SHARED_LIMIT) {
      const set = cu.cuFuncSetAttribute(
        fn,
        FuncAttr.MAX_DYNAMIC_SHARED_SIZE_BYTES,
        kernel.dynamicSharedBytes,
      );
      check('cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)', set);
    }
    return loaded;
  } catch (e) {
    try {
      check('cuModuleUnload', cu.cuModuleUnload(module));
    } catch {
      // the load error is the one worth reporting
    }
    throw e;
  }
}

/** A launch ready to enqueue: the function, its shape, its packed parameters, the stream. */
export interface Launch {
  cu: Cu;
  stream: Handle;
  kernel: CudaKernel;
  source: KernelSource;
  params: Buffer[];
}

/** Enqueues one launch; a shape the hardware refuses becomes a ResourceError. */
export function enqueueLaunch({ cu, stream, kernel, source, params }: Launch): void {
  try {
    launchKernel(cu, kernel.fn, source.grid, source.block, source.dynamicSharedBytes, stream, params);
  } catch (e) {
    const refused = [CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, CUDA_ERROR_INVALID_VALUE];
    if (!(e instanceof CudaError && refused.includes(e.cudaCode))) throw e;
    throw new ResourceError(
      `launch of ${source.entry} (grid ${source.grid.join('x')}, block ${source.block.join('x')}, ` +
        `${source.dynamicSharedBytes} B dynamic shared memory, ${kernel.numRegs} registers/thread): ${e.cudaName}`,
    );
  }
}

/** Event pairs per timed group: one spanning all launches, or one per launch with an L2 flush. */
export function timingEventCount(count: number, flushL2: boolean): number {
  return 2 * (flushL2 ? count : 1);
}

/**
 * Enqueues `count` launches between events (from timingEventCount). With `scratch`, the L2 is
 * overwritten before each launch, outside its own event pair, so the flush is not timed.
 * Returns the last event and how to read the mean time per launch once it has completed.
 */
export function enqueueTimed(
  launch: Launch,
  count: number,
  events: readonly Handle[],
  scratch: CudaBuffer | undefined,
  hold?: HoldKernel,
): { last: Handle; meanMs: () => number } {
  const { cu, stream } = launch;
  // Without flushes the group is timed as one span: hold the stream so it runs without gaps.
  if (!scratch && hold) enqueueHold(cu, stream, hold, count);
  const pairs = scratch ? count : 1;
  const start = (i: number) => events[2 * i] as Handle;
  const end = (i: number) => events[2 * i + 1] as Handle;
  const record = (event: Handle) => check('cuEventRecord', cu.cuEventRecord(event, stream));
  if (!scratch) record(start(0));
  for (let i = 0; i < count; i++) {
    if (scratch) {
      check('cuMemsetD8Async', cu.cuMemsetD8Async(scratch.ptr, i & 0xff, scratch.bytes, stream));
      record(start(i));
    }
    enqueueLaunch(launch);
    if (scratch) record(end(i));
  }
  if (!scratch) record(end(0));
  const meanMs = () => {
    let totalMs = 0;
    for (let i = 0; i < pairs; i++) {
      totalMs += outFloat((p) => check('cuEventElapsedTime', cu.cuEventElapsedTime(p, start(i), end(i))));
    }
    return totalMs / count;
  };
  return { last: end(pairs - 1), meanMs };
}
