/**
 * Misuse and environment problems throw a SlicetuneError with a stable `code`, so callers
 * (the CLI, the service, tests) can branch on the code rather than on message text.
 * Measurement failures are NOT errors: they are MeasureFailure values (measure/result.ts).
 */
export type ErrorCode =
  | 'CUDA_NOT_FOUND'
  | 'CUDA_ERROR'
  | 'NVRTC_ERROR'
  | 'BAD_OPTION'
  | 'BAD_SHAPE'
  | 'BAD_MODEL'
  | 'UNSUPPORTED_OP'
  | 'NOT_FOUND'
  | 'RECORD_STORE'
  | 'SLICE_UNAVAILABLE'
  | 'MPS_ERROR'
  | 'WORKER_DIED'
  | 'INTERNAL';

export class SlicetuneError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlicetuneError';
    this.code = code;
  }
}

export function isSlicetuneError(e: unknown, code?: ErrorCode): e is SlicetuneError {
  return e instanceof SlicetuneError && (code === undefined || e.code === code);
}
