/** The CUresult codes the simulator raises, so its errors read like the driver's. */
import { CudaError } from '../errors.js';

const CODES = {
  CUDA_ERROR_INVALID_VALUE: 1,
  CUDA_ERROR_OUT_OF_MEMORY: 2,
  CUDA_ERROR_INVALID_IMAGE: 200,
  CUDA_ERROR_INVALID_CONTEXT: 201,
  CUDA_ERROR_NO_BINARY_FOR_GPU: 209,
  CUDA_ERROR_INVALID_HANDLE: 400,
  CUDA_ERROR_NOT_FOUND: 500,
  CUDA_ERROR_ILLEGAL_ADDRESS: 700,
} as const;

export function simCudaError(call: string, name: keyof typeof CODES, description: string): CudaError {
  return new CudaError(call, CODES[name], name, `${description} (simulated GPU)`);
}
