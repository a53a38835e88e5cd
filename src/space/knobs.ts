/** Knob domains: the values each knob can take, in a fixed order. */
import { SlicetuneError } from '../util/errors.js';
import type { Knob, KnobValue } from './types.js';

const factorizationCache = new Map<string, readonly (readonly number[])[]>();

function divisorsOf(n: number): number[] {
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    small.push(d);
    if (d * d !== n) large.unshift(n / d);
  }
  return [...small, ...large];
}

/**
 * Every ordered factorization of `extent` into `parts` factors (product exactly `extent`), in
 * lexicographic order of the factors. Cached: templates ask for the same few again and again.
 */
export function factorizations(extent: number, parts: number): number[][] {
  if (!Number.isInteger(extent) || extent < 1 || !Number.isInteger(parts) || parts < 1) {
    throw new SlicetuneError('INTERNAL', `factorizations(${extent}, ${parts}): need positive integers`);
  }
  const cacheKey = `${extent}/${parts}`;
  let cached = factorizationCache.get(cacheKey);
  if (!cached) {
    const result: number[][] = [];
    const walk = (rest: number, prefix: number[]) => {
      if (prefix.length === parts - 1) {
        result.push([...prefix, rest]);
        return;
      }
      for (const d of divisorsOf(rest)) walk(rest / d, [...prefix, d]);
    };
    walk(extent, []);
    cached = result;
    factorizationCache.set(cacheKey, cached);
  }
  return cached.map((f) => [...f]);
}

/** Prime factors with multiplicity, ascending (12 -> [2, 2, 3]). */
export function primeFactors(n: number): number[] {
  const primes: number[] = [];
  let rest = n;
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      primes.push(p);
      rest /= p;
    }
  }
  if (rest > 1) primes.push(rest);
  return primes;
}

export function withinBounds(factors: readonly number[], maxFactors: readonly (number | null)[] | undefined) {
  if (!maxFactors) return true;
  return factors.every((f, i) => {
    const bound = maxFactors[i];
    return bound === null || bound === undefined || f <= bound;
  });
}

function checkKnob(knob: Knob): void {
  const bad = (why: string) => new SlicetuneError('INTERNAL', `knob "${knob.name}": ${why}`);
  if (typeof knob.name !== 'string' || !/^[A-Za-z_][\w.]*$/.test(knob.name))
    throw bad('name must be an identifier');
  if (knob.kind === 'split') {
    if (!Number.isInteger(knob.extent) || knob.extent < 1)
      throw bad(`extent ${knob.extent} is not a positive integer`);
    if (!Number.isInteger(knob.parts) || knob.parts < 1)
      throw bad(`parts ${knob.parts} is not a positive integer`);
    if (knob.maxFactors && knob.maxFactors.length !== knob.parts) {
      throw bad(`maxFactors has ${knob.maxFactors.length} entries for ${knob.parts} parts`);
    }
  } else if (knob.kind === 'choice') {
    if (knob.options.length === 0) throw bad('a choice needs at least one option');
    if (new Set(knob.options.map(String)).size !== knob.options.length) throw bad('options must be distinct');
  }
}

/** The values a knob can take, in a fixed order; throws UNSUPPORTED_OP when a split has none. */
export function knobDomain(knob: Knob): KnobValue[] {
  checkKnob(knob);
  switch (knob.kind) {
    case 'split': {
      const values = factorizations(knob.extent, knob.parts).filter((f) => withinBounds(f, knob.maxFactors));
      if (values.length === 0) {
        throw new SlicetuneError(
          'UNSUPPORTED_OP',
          `split knob "${knob.name}": no factorization of ${knob.extent} into ${knob.parts} parts ` +
            `fits maxFactors [${(knob.maxFactors ?? []).map(String).join(',')}]`,
        );
      }
      return values;
    }
    case 'choice':
      return [...knob.options];
    case 'bool':
      return [false, true];
  }
}

/** How one value reads in a config key: `[2,4,8,1]`, `4`, `smem`, `true`. */
export function valueText(value: KnobValue): string {
  return Array.isArray(value) ? `[${value.join(',')}]` : String(value);
}
