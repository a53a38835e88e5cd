/** graph: the model IR, the zoo, ONNX import/export, the passes, task extraction, the CPU reference. */
import { SlicetuneError } from '../util/errors.js';
import type { Graph } from './ir.js';
import { loadOnnxFile } from './onnx/import.js';
import { isZooName, listZoo, ZOO, type ZooOptions } from './zoo/index.js';

export { type ConvOptions, GraphBuilder } from './builder.js';
export * from './ir.js';
export { type ExportOptions, exportOnnx } from './onnx/export.js';
export { type ImportOptions, importOnnx, loadOnnxFile, ONNX_IMPORT_OPS } from './onnx/import.js';
export {
  foldBatchNorm,
  foldConstants,
  fuseEpilogues,
  fuseGelu,
  lowerTunable,
  optimizeGraph,
  removeDeadNodes,
  removeIdentities,
} from './passes/index.js';
export { type ReferenceOptions, randomGraphInputs, runReference } from './reference.js';
export { SUPPORTED_OPS } from './shape-rules.js';
export { inferNode, inferShapes } from './shapes.js';
export { type ExtractedTasks, extractTasks } from './tasks.js';
export { validateGraph } from './validate.js';
export { isZooName, listZoo, ZOO, type ZooName, type ZooOptions } from './zoo/index.js';

/** A zoo model by name, or an ONNX file by path (anything ending in .onnx or naming a file). */
export function loadModel(nameOrPath: string, options: ZooOptions = {}): Graph {
  if (isZooName(nameOrPath)) return ZOO[nameOrPath](options);
  if (nameOrPath.endsWith('.onnx') || nameOrPath.includes('/') || nameOrPath.includes('\\')) {
    return loadOnnxFile(nameOrPath);
  }
  throw new SlicetuneError(
    'NOT_FOUND',
    `no model '${nameOrPath}': give a zoo model (${listZoo().join(', ')}) or the path of an .onnx file`,
  );
}
