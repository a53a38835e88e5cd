/** CPU references: direct loops with float64 accumulation, then the epilogue, rounded to f32 once. */
import { SlicetuneError } from '../util/errors.js';
import { batchMatmulAccumulate } from './batch-matmul.js';
import { conv2dAccumulate } from './conv2d.js';
import { denseAccumulate } from './dense.js';
import { applyEpilogue } from './epilogue.js';
import { elementsOf, outputChannels, outputShape, tensorSpecs } from './tensors.js';
import type { Workload } from './types.js';
import { workloadKey } from './workload.js';

function checkInputs(w: Workload, inputs: Record<string, Float32Array>): void {
  for (const t of tensorSpecs(w)) {
    if (t.role !== 'input') continue;
    const data = inputs[t.name];
    const elements = elementsOf(t.shape);
    if (!(data instanceof Float32Array)) {
      throw new SlicetuneError(
        'BAD_SHAPE',
        `cpuReference(${workloadKey(w)}): missing input tensor ${t.name}`,
      );
    }
    if (data.length !== elements) {
      throw new SlicetuneError(
        'BAD_SHAPE',
        `cpuReference(${workloadKey(w)}): input ${t.name} has ${data.length} elements, ` +
          `expected ${elements} ([${t.shape.join(',')}])`,
      );
    }
  }
}

function accumulate(w: Workload, inputs: Record<string, Float32Array>): Float64Array {
  const get = (name: string) => inputs[name] as Float32Array;
  switch (w.op) {
    case 'conv2d':
      return conv2dAccumulate(w.shape, get('data'), get('weight'));
    case 'dense':
      return denseAccumulate(w.shape, get('x'), get('weight'));
    case 'batch_matmul':
      return batchMatmulAccumulate(w.shape, get('a'), get('b'));
  }
}

/** The expected `out` tensor for the named inputs (names and shapes from tensorSpecs). */
export function cpuReference(w: Workload, inputs: Record<string, Float32Array>): Float32Array {
  checkInputs(w, inputs);
  const acc = accumulate(w, inputs);
  const out = outputShape(w);
  // Channels sit at axis 1 for conv (NKHW) and last for the matmuls.
  const inner = w.op === 'conv2d' ? elementsOf(out.slice(2)) : 1;
  return applyEpilogue(w.epilogue, acc, { channels: outputChannels(w), inner }, inputs);
}
