/** Drawing configs that have not been measured yet, shared by the strategies. */
import type { Config, ConfigSpace } from '../space/types.js';
import type { Rng } from '../util/rng.js';

/** Consecutive draws that only hit known keys before the space is scanned instead of sampled. */
const MISSES_BEFORE_SCAN = 64;

/**
 * Up to n valid configs, uniformly drawn, whose keys are neither in `exclude` nor repeated.
 * When draws keep hitting known keys the space is nearly exhausted, so the rest comes from
 * enumerating it (which stops as soon as n are found).
 */
export function sampleUnmeasured(
  space: ConfigSpace,
  rng: Rng,
  n: number,
  exclude: ReadonlySet<string>,
): Config[] {
  const picked: Config[] = [];
  const seen = new Set<string>();
  let misses = 0;
  while (picked.length < n && misses < MISSES_BEFORE_SCAN) {
    const config = space.sample(rng);
    const key = space.key(config);
    if (exclude.has(key) || seen.has(key)) {
      misses++;
      continue;
    }
    misses = 0;
    seen.add(key);
    picked.push(config);
  }
  if (picked.length < n) {
    const rest: Config[] = [];
    for (const config of space.enumerate()) {
      const key = space.key(config);
      if (!exclude.has(key) && !seen.has(key)) rest.push(config);
    }
    // Shuffled so a nearly exhausted space is still drawn at random, not in enumeration order.
    for (const config of rng.shuffle(rest)) {
      if (picked.length >= n) break;
      picked.push(config);
    }
  }
  return picked;
}

/** Number of knobs on which two configs of one space differ. */
export function knobDifference(space: ConfigSpace, a: Config, b: Config): number {
  let diff = 0;
  for (const knob of space.knobs) {
    if (JSON.stringify(a[knob.name]) !== JSON.stringify(b[knob.name])) diff++;
  }
  return diff;
}
