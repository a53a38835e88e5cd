export { type BatchMatmulShapeInput, type BatchMatmulWorkload, batchMatmulWorkload } from './batch-matmul.js';
export { type Conv2dShapeInput, type Conv2dWorkload, conv2dOutput, conv2dWorkload } from './conv2d.js';
export { workloadBytes, workloadFlops, workloadMacs } from './cost.js';
export { type DenseWorkload, denseWorkload } from './dense.js';
export { ACTIVATIONS, epilogueOpsPerElement, epilogueSuffix, normalizeEpilogue } from './epilogue.js';
export { randomInputs } from './inputs.js';
export {
  formatEpilogue,
  formatShape,
  formatWorkload,
  parseEpilogue,
  parseWorkload,
  SHAPE_KEYS,
  SHAPE_OPS,
  type ShapeOp,
} from './parse.js';
export { cpuReference } from './reference.js';
export { type ModelWorkload, RESNET18_WORKLOADS } from './resnet18.js';
export {
  elementsOf,
  kernelArgs,
  outputChannels,
  outputShape,
  type TensorSpec,
  tensorSpecs,
} from './tensors.js';
export { firstMismatch, type Precision, toleranceFor } from './tolerance.js';
export * from './types.js';
export { isDepthwise, reductionLength, workloadKey } from './workload.js';
