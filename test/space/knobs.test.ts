import { describe, expect, it } from 'vitest';
import { boolValue, choiceValue, factorizations, primeFactors, splitValue } from '../../src/space/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';

const binomial = (n: number, k: number): number => (k === 0 ? 1 : (binomial(n - 1, k - 1) * n) / k);

/** Ordered factorizations into p parts: product over primes of C(e + p - 1, p - 1). */
function expectedCount(extent: number, parts: number): number {
  const exponents = new Map<number, number>();
  for (const prime of primeFactors(extent)) exponents.set(prime, (exponents.get(prime) ?? 0) + 1);
  let count = 1;
  for (const e of exponents.values()) count *= binomial(e + parts - 1, parts - 1);
  return count;
}

describe('factorizations', () => {
  it('counts 64 into 4 parts as C(9,3) = 84', () => {
    expect(factorizations(64, 4)).toHaveLength(84);
  });

  it('matches the prime-exponent formula, with exact products and no repeats', () => {
    for (const extent of [1, 2, 3, 7, 12, 49, 56, 64, 96, 112, 224, 1000]) {
      for (const parts of [1, 2, 3, 4]) {
        const all = factorizations(extent, parts);
        expect(all).toHaveLength(expectedCount(extent, parts));
        expect(new Set(all.map((f) => f.join(','))).size).toBe(all.length);
        for (const f of all) {
          expect(f).toHaveLength(parts);
          expect(f.reduce((a, b) => a * b, 1)).toBe(extent);
        }
      }
    }
  });

  it('hands out copies, so callers cannot spoil the cache', () => {
    const first = factorizations(12, 2);
    (first[0] as number[])[0] = 99;
    first.pop();
    expect(factorizations(12, 2)).toHaveLength(6);
    expect(factorizations(12, 2)[0]).toEqual([1, 12]);
  });

  it('refuses non-positive input', () => {
    expect(() => factorizations(0, 2)).toThrow();
    expect(() => factorizations(4, 0)).toThrow();
  });
});

describe('config value helpers', () => {
  const config = { tile: [2, 4], unroll: 8, layout: 'nchw', vec: true };
  it('read typed values', () => {
    expect(splitValue(config, 'tile')).toEqual([2, 4]);
    expect(choiceValue<number>(config, 'unroll')).toBe(8);
    expect(choiceValue<string>(config, 'layout')).toBe('nchw');
    expect(boolValue(config, 'vec')).toBe(true);
  });
  it('name the knob on misuse', () => {
    for (const fn of [
      () => splitValue(config, 'unroll'),
      () => boolValue(config, 'nope'),
      () => choiceValue(config, 'tile'),
    ]) {
      try {
        fn();
        throw new Error('no error');
      } catch (e) {
        expect(isSlicetuneError(e, 'BAD_OPTION')).toBe(true);
      }
    }
  });
});
