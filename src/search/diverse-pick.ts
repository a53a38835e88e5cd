/**
 * Choosing a batch for predicted speed AND diversity: the best-scored candidates first, but one
 * that differs from an already chosen config in fewer than `minKnobDifference` knobs waits until
 * the diverse ones run out (near-duplicates tell the model little).
 */
import type { Config, ConfigSpace } from '../space/types.js';
import type { Candidate } from './annealing.js';
import { knobDifference } from './sampling.js';

export function pickDiverse(
  space: ConfigSpace,
  ranked: readonly Candidate[],
  n: number,
  minKnobDifference: number,
): Config[] {
  const picked: Candidate[] = [];
  const deferred: Candidate[] = [];
  for (const c of ranked) {
    if (picked.length >= n) break;
    if (picked.some((p) => p.key === c.key)) continue;
    const near = picked.some((p) => knobDifference(space, p.config, c.config) < minKnobDifference);
    if (near) deferred.push(c);
    else picked.push(c);
  }
  for (const c of deferred) {
    if (picked.length >= n) break;
    picked.push(c);
  }
  return picked.map((c) => c.config);
}
