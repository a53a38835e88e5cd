/**
 * Workloads: one operator instance (op, shapes, dtype, fused epilogue). Everything that changes
 * the kernel's meaning is in the workload and therefore in its key (ops/workload.ts).
 */

export type OpKind = 'conv2d' | 'dense' | 'batch_matmul';
export const OP_KINDS: readonly OpKind[] = ['conv2d', 'dense', 'batch_matmul'];

export type Activation = 'none' | 'relu' | 'relu6';

/** Work fused after the main computation, in this order: scale/shift, bias, residual add, activation. */
export interface Epilogue {
  /** Per-output-channel bias (conv: K, dense: N). */
  bias: boolean;
  /** Folded batch-norm: per-output-channel scale and shift (out = acc * scale + shift). */
  bnScaleShift: boolean;
  /** Elementwise add of a tensor shaped like the output (a residual connection). */
  residual: boolean;
  activation: Activation;
}

/** conv2d in NCHW (data) / KCRS (weight, C per group). groups = c = k is depthwise. */
export interface Conv2dShape {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  r: number;
  s: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  groups: number;
}

/** dense: out[m, n] = sum_k x[m, k] * weight[n, k] (+ bias[n]); PyTorch's Linear. */
export interface DenseShape {
  m: number;
  n: number;
  k: number;
}

/** batch_matmul: out[b, m, n] = sum_k a[b, m, k] * B[b, k, n], or B[b, n, k] when transB. */
export interface BatchMatmulShape {
  b: number;
  m: number;
  n: number;
  k: number;
  transB: boolean;
}

export type Workload =
  | { op: 'conv2d'; dtype: 'f32'; shape: Conv2dShape; epilogue: Epilogue }
  | { op: 'dense'; dtype: 'f32'; shape: DenseShape; epilogue: Epilogue }
  | { op: 'batch_matmul'; dtype: 'f32'; shape: BatchMatmulShape; epilogue: Epilogue };

export const NO_EPILOGUE: Epilogue = {
  bias: false,
  bnScaleShift: false,
  residual: false,
  activation: 'none',
};
