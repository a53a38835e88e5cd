/** dense (PyTorch's Linear): out[m, n] = sum_k x[m, k] * weight[n, k]. */
import { normalizeEpilogue } from './epilogue.js';
import type { DenseShape, Epilogue, Workload } from './types.js';
import { requireInt, requireTensorFits } from './validate.js';

export type DenseWorkload = Extract<Workload, { op: 'dense' }>;

export function denseWorkload(input: DenseShape, epilogue?: Partial<Epilogue>): DenseWorkload {
  const op = 'dense';
  const shape: DenseShape = {
    m: requireInt(op, 'm', input.m, 1),
    n: requireInt(op, 'n', input.n, 1),
    k: requireInt(op, 'k', input.k, 1),
  };
  requireTensorFits(op, 'x', [shape.m, shape.k]);
  requireTensorFits(op, 'weight', [shape.n, shape.k]);
  requireTensorFits(op, 'out', [shape.m, shape.n]);
  return { op, dtype: 'f32', shape, epilogue: normalizeEpilogue(epilogue) };
}

/** Row-by-row dot products (both operands contiguous in k), float64 accumulators [m][n]. */
export function denseAccumulate(shape: DenseShape, x: Float32Array, weight: Float32Array): Float64Array {
  const { m, n, k } = shape;
  const acc = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      const xo = i * k;
      const wo = j * k;
      for (let kk = 0; kk < k; kk++) sum += (x[xo + kk] as number) * (weight[wo + kk] as number);
      acc[i * n + j] = sum;
    }
  }
  return acc;
}
