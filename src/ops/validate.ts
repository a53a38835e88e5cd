/** Shape checks shared by the workload constructors: misuse throws BAD_SHAPE naming the field. */
import { SlicetuneError } from '../util/errors.js';

/** Kernels index tensors with 32-bit ints, so no tensor may hold more elements than this. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

export function requireInt(op: string, field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new SlicetuneError('BAD_SHAPE', `${op}: ${field} must be ${what}, got ${String(value)}`);
  }
  return value;
}

export function requireTensorFits(op: string, tensor: string, shape: readonly number[]): void {
  const elements = shape.reduce((a, b) => a * b, 1);
  if (elements > MAX_TENSOR_ELEMENTS) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `${op}: tensor ${tensor} [${shape.join(',')}] has ${elements} elements, more than 2^31-1 (32-bit indexing)`,
    );
  }
}
