/** The pass pipeline that turns an imported or built graph into tunable nodes with fused epilogues. */
import type { Graph } from '../ir.js';
import { validateGraph } from '../validate.js';
import { removeDeadNodes } from './dead-code.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { foldConstants } from './fold-constants.js';
import { fuseEpilogues } from './fuse-epilogue.js';
import { fuseGelu } from './fuse-gelu.js';
import { lowerTunable } from './lower.js';
import { removeIdentities } from './remove-identity.js';

export { removeDeadNodes } from './dead-code.js';
export { foldBatchNorm } from './fold-batchnorm.js';
export { foldConstants } from './fold-constants.js';
export { fuseEpilogues } from './fuse-epilogue.js';
export { fuseGelu } from './fuse-gelu.js';
export { lowerTunable } from './lower.js';
export { removeIdentities } from './remove-identity.js';

/**
 * identity removal -> constant folding -> batch-norm folding -> GELU -> lowering to tunable nodes
 * -> epilogue fusion -> dead-node removal, then validation. Idempotent: optimizing an optimized
 * graph changes nothing.
 */
export function optimizeGraph(graph: Graph): Graph {
  let g = removeIdentities(graph);
  g = foldConstants(g);
  g = removeDeadNodes(g);
  g = foldBatchNorm(g);
  g = fuseGelu(g);
  g = lowerTunable(g);
  g = fuseEpilogues(g);
  g = removeDeadNodes(g);
  validateGraph(g);
  return g;
}
