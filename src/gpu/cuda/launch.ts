/** Kernel arguments as cuLaunchKernel wants them, and waiting for the GPU without blocking. */
import { SlicetuneError } from '../../util/errors.js';
import type { DeviceBuffer, LaunchArg } from '../backend.js';
import { KernelTimeoutError } from '../errors.js';
import type { KernelSource } from '../types.js';

/** A device allocation: its CUdeviceptr and size. */
export class CudaBuffer implements DeviceBuffer {
  freed = false;
  constructor(
    readonly ptr: bigint,
    readonly bytes: number,
  ) {}
}

/**
 * One Buffer per kernel parameter, holding the argument's bytes: 8 for a device pointer, 4 for
 * an int or a float. The list must match the kernel's declared arguments in count and kind.
 */
export function packLaunchArgs(source: KernelSource, args: readonly LaunchArg[]): Buffer[] {
  if (args.length !== source.args.length) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `${source.entry}: ${args.length} launch arguments given, the kernel declares ${source.args.length}`,
    );
  }
  return args.map((arg, i) => {
    const declared = source.args[i];
    const where = `${source.entry}: argument ${i} (${declared?.name})`;
    if ('int' in arg || 'float' in arg) {
      const bytes = Buffer.alloc(4);
      const want = declared?.kind === 'scalar' ? declared.ctype : 'buffer';
      if ('int' in arg && want === 'int') bytes.writeInt32LE(arg.int, 0);
      else if ('float' in arg && want === 'float') bytes.writeFloatLE(arg.float, 0);
      else
        throw new SlicetuneError('BAD_OPTION', `${where} is declared ${want}, given ${JSON.stringify(arg)}`);
      return bytes;
    }
    if (!(arg instanceof CudaBuffer) || declared?.kind !== 'buffer') {
      throw new SlicetuneError(
        'BAD_OPTION',
        `${where} must be a device buffer allocated by this CUDA backend`,
      );
    }
    if (arg.freed) throw new SlicetuneError('BAD_OPTION', `${where} was freed before the launch`);
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(arg.ptr, 0);
    return bytes;
  });
}

/**
 * Polls `done` until it returns true, yielding to the event loop between polls so that other
 * slices of this process keep going. The first millisecond polls on every turn of the loop
 * (short kernels), then backs off to timers of 1..4 ms. Past `timeoutMs`: KernelTimeoutError.
 */
export async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = performance.now();
  while (!done()) {
    const elapsed = performance.now() - started;
    if (elapsed > timeoutMs) {
      throw new KernelTimeoutError(`${what} did not finish within ${timeoutMs} ms (it may still be running)`);
    }
    if (elapsed < 1) await new Promise<void>((resolve) => setImmediate(resolve));
    else await new Promise<void>((resolve) => setTimeout(resolve, Math.min(4, Math.ceil(elapsed / 50))));
  }
}

/** What the function's attributes say about a kernel, read after loading it. */
export interface FunctionLimits {
  entry: string;
  numRegs: number;
  maxThreadsPerBlock: number;
  staticSharedBytes: number;
}

/**
 * Why the launch shape cannot run, naming the resource (threads, registers, shared memory), or
 * undefined when it fits. `optinSharedBytes` is the device's opt-in shared memory per block.
 */
export function launchShapeProblem(
  fn: FunctionLimits,
  source: Pick<KernelSource, 'block' | 'dynamicSharedBytes'>,
  device: { maxThreadsPerBlock: number; sharedMemPerBlockOptin: number },
): string | undefined {
  const threads = source.block[0] * source.block[1] * source.block[2];
  if (threads > device.maxThreadsPerBlock) {
    return `threads: ${fn.entry} asks ${threads} threads per block, the device allows ${device.maxThreadsPerBlock}`;
  }
  if (threads > fn.maxThreadsPerBlock) {
    return (
      `registers: ${fn.entry} uses ${fn.numRegs} registers per thread, which allows at most ` +
      `${fn.maxThreadsPerBlock} threads per block; the block has ${threads}`
    );
  }
  const shared = fn.staticSharedBytes + source.dynamicSharedBytes;
  if (shared > device.sharedMemPerBlockOptin) {
    return (
      `shared memory: ${fn.entry} needs ${shared} bytes per block (${fn.staticSharedBytes} static + ` +
      `${source.dynamicSharedBytes} dynamic), the device allows ${device.sharedMemPerBlockOptin}`
    );
  }
  return undefined;
}
