import { hashOf } from '../util/hash.js';
import { Rng } from '../util/rng.js';

/**
 * Inputs for measuring and checking: uniform in [-1, 1), seeded from the workload and the
 * argument name, so every runner and every rerun sees the same data for the same workload
 * (never zeros: they hide unwritten outputs and can run faster than real data).
 */
export function randomInput(computes: string, argName: string, elements: number, seed = 0): Float32Array {
  const rng = new Rng(Number.parseInt(hashOf(computes, argName, String(seed)).slice(0, 8), 16));
  const data = new Float32Array(elements);
  for (let i = 0; i < elements; i++) data[i] = rng.next() * 2 - 1;
  return data;
}
