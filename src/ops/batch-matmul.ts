/** batch_matmul: out[b, m, n] = sum_k a[b, m, k] * B[b, k, n] (or B[b, n, k] when transB). */

import { SlicetuneError } from '../util/errors.js';
import { normalizeEpilogue } from './epilogue.js';
import type { BatchMatmulShape, Epilogue, Workload } from './types.js';
import { requireInt, requireTensorFits } from './validate.js';

export type BatchMatmulWorkload = Extract<Workload, { op: 'batch_matmul' }>;

export interface BatchMatmulShapeInput {
  b: number;
  m: number;
  n: number;
  k: number;
  transB?: boolean;
}

export function batchMatmulWorkload(
  input: BatchMatmulShapeInput,
  epilogue?: Partial<Epilogue>,
): BatchMatmulWorkload {
  const op = 'batch_matmul';
  const transB = input.transB ?? false;
  if (typeof transB !== 'boolean') {
    throw new SlicetuneError('BAD_SHAPE', `batch_matmul: transB must be a boolean, got ${String(transB)}`);
  }
  const shape: BatchMatmulShape = {
    b: requireInt(op, 'b', input.b, 1),
    m: requireInt(op, 'm', input.m, 1),
    n: requireInt(op, 'n', input.n, 1),
    k: requireInt(op, 'k', input.k, 1),
    transB,
  };
  requireTensorFits(op, 'a', [shape.b, shape.m, shape.k]);
  requireTensorFits(op, 'b', [shape.b, shape.k, shape.n]);
  requireTensorFits(op, 'out', [shape.b, shape.m, shape.n]);
  return { op, dtype: 'f32', shape, epilogue: normalizeEpilogue(epilogue) };
}

/** Float64 accumulators [b][m][n]; rows of B are streamed so both layouts read contiguously. */
export function batchMatmulAccumulate(
  shape: BatchMatmulShape,
  a: Float32Array,
  bt: Float32Array,
): Float64Array {
  const { b, m, n, k, transB } = shape;
  const acc = new Float64Array(b * m * n);
  for (let bi = 0; bi < b; bi++) {
    const aBase = bi * m * k;
    const bBase = bi * k * n;
    for (let i = 0; i < m; i++) {
      const outRow = (bi * m + i) * n;
      const aRow = aBase + i * k;
      if (transB) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          const bRow = bBase + j * k;
          for (let kk = 0; kk < k; kk++) sum += (a[aRow + kk] as number) * (bt[bRow + kk] as number);
          acc[outRow + j] = sum;
        }
      } else {
        for (let kk = 0; kk < k; kk++) {
          const av = a[aRow + kk] as number;
          const bRow = bBase + kk * n;
          for (let j = 0; j < n; j++) {
            acc[outRow + j] = (acc[outRow + j] as number) + av * (bt[bRow + j] as number);
          }
        }
      }
    }
  }
  return acc;
}
