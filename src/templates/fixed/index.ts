/**
 * Fixed kernels: CUDA C for the operators slicetune does not tune (pooling, softmax, layer norm,
 * elementwise, layout). Same conventions as the tunable templates: `extern "C" __global__`,
 * guarded indices, fp32, a `computes` key and a KernelModel for the simulated GPU.
 */
export {
  coalesce,
  computesKey,
  type IterationSpace,
  offsetOf,
  type StridedMap,
} from './common.js';
export {
  BINARY_OPS,
  type BinaryOp,
  binaryKernel,
  broadcastSpace,
  copyKernel,
  UNARY_OPS,
  type UnaryOp,
  type UnaryParams,
  unaryKernel,
} from './elementwise.js';
export {
  concatKernels,
  concatSpace,
  type SliceBox,
  sliceKernel,
  sliceSpace,
  splitKernels,
  transposeKernel,
  transposeSpace,
} from './layout.js';
export { type Pool2dParams, pool2dKernel, windowOrigin } from './pool.js';
export {
  globalAvgPoolKernel,
  layerNormKernel,
  ROW_WARPS_PER_BLOCK,
  type RowLayout,
  rowBlocks,
  rowOffset,
  softmaxKernel,
} from './rows.js';
