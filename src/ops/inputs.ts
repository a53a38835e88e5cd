/** Seeded random inputs for a workload (what the checker feeds both kernel and reference). */
import type { Rng } from '../util/rng.js';
import { elementsOf, tensorSpecs } from './tensors.js';
import type { Workload } from './types.js';

/** Every input tensor filled uniformly from [-1, 1); toleranceFor assumes this scale. */
export function randomInputs(w: Workload, rng: Rng): Record<string, Float32Array> {
  const inputs: Record<string, Float32Array> = {};
  for (const t of tensorSpecs(w)) {
    if (t.role !== 'input') continue;
    const data = new Float32Array(elementsOf(t.shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
    inputs[t.name] = data;
  }
  return inputs;
}
