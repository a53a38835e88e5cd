/** Errors raised by the GPU backends; `measure/` turns them into MeasureFailure values. */
import { SlicetuneError } from '../util/errors.js';

/**
 * A failing CUresult, carrying its name (CUDA_ERROR_ILLEGAL_ADDRESS, not 700). `sticky` errors
 * poison the CUDA context: the process must be restarted before it can run anything again.
 */
export class CudaError extends SlicetuneError {
  readonly cudaName: string;
  readonly cudaCode: number;
  readonly call: string;
  readonly sticky: boolean;
  constructor(call: string, cudaCode: number, cudaName: string, description: string) {
    super('CUDA_ERROR', `${call} failed: ${cudaName} (${cudaCode}): ${description}`);
    this.call = call;
    this.cudaCode = cudaCode;
    this.cudaName = cudaName;
    this.sticky = STICKY_ERRORS.has(cudaName);
  }
}

/** Errors after which the context is unusable (CUDA documents these as sticky). */
const STICKY_ERRORS = new Set([
  'CUDA_ERROR_ILLEGAL_ADDRESS',
  'CUDA_ERROR_ILLEGAL_INSTRUCTION',
  'CUDA_ERROR_MISALIGNED_ADDRESS',
  'CUDA_ERROR_INVALID_ADDRESS_SPACE',
  'CUDA_ERROR_INVALID_PC',
  'CUDA_ERROR_LAUNCH_FAILED',
  'CUDA_ERROR_HARDWARE_STACK_ERROR',
  'CUDA_ERROR_ASSERT',
  'CUDA_ERROR_ECC_UNCORRECTABLE',
  'CUDA_ERROR_MPS_CLIENT_TERMINATED',
  'CUDA_ERROR_MPS_SERVER_NOT_READY',
  'CUDA_ERROR_LAUNCH_TIMEOUT',
]);

/** NVRTC rejected the source; `log` is the compiler's log. */
export class CompileError extends SlicetuneError {
  readonly log: string;
  constructor(message: string, log: string) {
    super('NVRTC_ERROR', message);
    this.log = log;
  }
}

/** The launch shape does not fit the function's resources (threads, registers, shared memory). */
export class ResourceError extends SlicetuneError {
  constructor(message: string) {
    super('CUDA_ERROR', message);
  }
}

/** A kernel did not finish within its timeout; the context still runs it, so the process must go. */
export class KernelTimeoutError extends SlicetuneError {
  constructor(message: string) {
    super('CUDA_ERROR', message);
  }
}
