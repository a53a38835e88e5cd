import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../../src/measure/check.js';

const tol = { rtol: 1e-4, atol: 1e-5 };

describe('compareOutputs', () => {
  it('passes equal outputs and small rounding differences', () => {
    const ref = Float32Array.from([1, -2, 3.5, 0]);
    const out = Float32Array.from([1 + 1e-5, -2, 3.5, 1e-6]);
    const c = compareOutputs(out, ref, tol);
    expect(c.ok).toBe(true);
    expect(c.maxRelError).toBeLessThanOrEqual(1);
  });

  it('fails a value outside tolerance and says where', () => {
    const ref = Float32Array.from([1, 2, 3]);
    const out = Float32Array.from([1, 2.01, 3]);
    const c = compareOutputs(out, ref, tol);
    expect(c.ok).toBe(false);
    expect(c.firstBadIndex).toBe(1);
    expect(c.badElements).toBe(1);
  });

  it('fails unwritten (NaN-poisoned) elements even where the reference is anything', () => {
    const ref = Float32Array.from([0, 0, 0]);
    const out = new Float32Array(new Uint8Array(12).fill(0xff).buffer);
    const c = compareOutputs(out, ref, tol);
    expect(c.ok).toBe(false);
    expect(c.badElements).toBe(3);
  });

  it('fails outputs of the wrong length', () => {
    expect(compareOutputs(new Float32Array(2), new Float32Array(3), tol).ok).toBe(false);
  });
});
