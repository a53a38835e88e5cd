/** Loading a simulated binary: the checks cuModuleLoadData and cuModuleGetFunction would make. */
import type { LoadedKernel } from '../backend.js';
import { ResourceError } from '../errors.js';
import type { DeviceInfo, KernelBinary, KernelSource } from '../types.js';
import { readSimBinaryHeader } from './compiler.js';
import { simCudaError } from './cuda-codes.js';
import type { MemoryLedger } from './memory.js';
import { launchProblem, MODULE_ALLOC_UNIT, maxThreadsForRegisters } from './model.js';

export class SimKernel implements LoadedKernel {
  unloaded = false;
  constructor(
    /** The slice that loaded it; a kernel is usable only there, like a module in its context. */
    readonly owner: object,
    readonly entry: string,
    readonly numRegs: number,
    readonly maxThreadsPerBlock: number,
    readonly staticSharedBytes: number,
    readonly moduleBytes: number,
  ) {}
}

export function loadModule(
  owner: object,
  binary: KernelBinary,
  kernel: KernelSource,
  device: DeviceInfo,
  ledger: MemoryLedger,
): SimKernel {
  const header = readSimBinaryHeader(binary.bytes);
  if (!header) throw simCudaError('cuModuleLoadData', 'CUDA_ERROR_INVALID_IMAGE', 'not a simulated binary');
  if (header.arch !== device.arch)
    throw simCudaError('cuModuleLoadData', 'CUDA_ERROR_NO_BINARY_FOR_GPU', `binary for ${header.arch}`);
  if (header.entry !== kernel.entry)
    throw simCudaError('cuModuleGetFunction', 'CUDA_ERROR_NOT_FOUND', `no function "${kernel.entry}"`);
  const problem = launchProblem(kernel, device);
  if (problem) throw new ResourceError(problem.message);
  const moduleBytes = ledger.reserve(binary.bytes.length, MODULE_ALLOC_UNIT, 'cuModuleLoadData');
  const m = kernel.model;
  return new SimKernel(
    owner,
    kernel.entry,
    m.regsPerThread,
    maxThreadsForRegisters(m.regsPerThread, device),
    Math.max(0, m.sharedBytesPerBlock - kernel.dynamicSharedBytes),
    moduleBytes,
  );
}
