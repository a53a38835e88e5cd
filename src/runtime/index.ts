/** runtime: a tuned model on a slice of the GPU (buffers once, one CUDA graph, latency, checks). */

export {
  compareOutput,
  FP32_TOLERANCE,
  REFERENCE_ENGINES,
  type ReferenceEngine,
  referenceOutputs,
  TF32_TOLERANCE,
  TOLERANCE_RULE,
} from './check.js';
export { type ChosenKernel, chooseKernel, defaultKernel, type KernelSelector } from './choose.js';
export { ModelExecutor } from './executor.js';
export { FIXED_OPS, lowerFixedNode } from './lower.js';
export { runModelInChild, runModelOnSlice } from './mps-client.js';
export { type PlanResult, planExecution } from './plan.js';
export { runModel, SIMULATED_LABEL } from './run-model.js';
export { kernelSummary, latencyStats } from './summary.js';
export type * from './types.js';
