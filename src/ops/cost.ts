/** FLOP and byte counts, the yardsticks for GFLOP/s and roofline numbers. */
import { epilogueOpsPerElement } from './epilogue.js';
import { elementsOf, outputShape, tensorSpecs } from './tensors.js';
import type { Workload } from './types.js';
import { reductionLength } from './workload.js';

/** Multiply-adds of the main computation (one per reduction step per output element). */
export function workloadMacs(w: Workload): number {
  return elementsOf(outputShape(w)) * reductionLength(w);
}

/** 2 per multiply-add, plus the epilogue's operations on each output element. */
export function workloadFlops(w: Workload): number {
  return 2 * workloadMacs(w) + elementsOf(outputShape(w)) * epilogueOpsPerElement(w.epilogue);
}

/** Compulsory DRAM traffic: every input read once, the output written once, 4 bytes each (f32). */
export function workloadBytes(w: Workload): number {
  return 4 * tensorSpecs(w).reduce((sum, t) => sum + elementsOf(t.shape), 0);
}
