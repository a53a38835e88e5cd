/**
 * Constraint-guided search for a valid config in a sparse space: coordinate descent on the number
 * of failing constraints. Each step takes one knob and moves it to one of its values with the
 * fewest failures (ties broken at random, so plateaus are crossed). Now and then a step takes a
 * random value instead, whatever it costs: constraints that couple knobs (x = y, a product equal to
 * a size) make local minima that no single greedy move leaves.
 */
import type { Rng } from '../util/rng.js';
import type { SpaceCore } from './core.js';
import type { Config, KnobValue } from './types.js';

/** Values tried per step on knobs with large domains (all of them when the domain is smaller). */
const VALUES_PER_STEP = 48;
const STEPS_PER_KNOB = 60;
const RANDOM_STEP_RATE = 0.15;

export function guidedWalk(core: SpaceCore, start: Config, rng: Rng): Config | null {
  const mutable = core.mutableKnobs();
  let current: Record<string, KnobValue> = { ...start };
  let score = core.failures(current);
  if (score === 0) return current;
  if (mutable.length === 0) return null;
  const steps = STEPS_PER_KNOB * mutable.length;
  for (let step = 0; step < steps; step++) {
    const k = rng.pick(mutable);
    const name = core.knob(k).name;
    if (rng.next() < RANDOM_STEP_RATE) {
      current = { ...current, [name]: rng.pick(core.domain(k)) };
      score = core.failures(current);
      if (score === 0) return current;
      continue;
    }
    let best: Record<string, KnobValue>[] = [];
    let bestScore = Number.POSITIVE_INFINITY;
    for (const value of candidateValues(core.domain(k), rng)) {
      const candidate = { ...current, [name]: value };
      const s = core.failures(candidate);
      if (s < bestScore) {
        bestScore = s;
        best = [candidate];
      } else if (s === bestScore) {
        best.push(candidate);
      }
    }
    if (bestScore <= score) {
      current = rng.pick(best);
      score = bestScore;
    }
    if (score === 0) return current;
  }
  return null;
}

function candidateValues(domain: readonly KnobValue[], rng: Rng): readonly KnobValue[] {
  if (domain.length <= VALUES_PER_STEP) return domain;
  return Array.from({ length: VALUES_PER_STEP }, () => rng.pick(domain));
}
