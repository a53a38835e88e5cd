/**
 * A small test-only space (built with the real defineSpace) of choice and bool knobs with a
 * validity rule, and a cost landscape over it with one optimum and interacting knobs. The search
 * tests that need real templates use the simulated GPU; this one keeps the loop tests
 * independent of them.
 */
import type { MeasureResult } from '../../src/measure/types.js';
import { defineSpace } from '../../src/space/define.js';
import type { Config, ConfigSpace } from '../../src/space/types.js';
import { stableStringify } from '../../src/util/hash.js';

const TILES = [1, 2, 4, 8, 16, 32, 64];

export function syntheticSpace(): ConfigSpace {
  return defineSpace({
    name: 'synthetic',
    knobs: [
      { kind: 'choice', name: 'tileX', options: TILES },
      { kind: 'choice', name: 'tileY', options: TILES },
      { kind: 'choice', name: 'unroll', options: [0, 1, 2, 4, 8] },
      { kind: 'choice', name: 'stages', options: [1, 2, 3] },
      { kind: 'bool', name: 'vector' },
    ],
    constraints: [(c) => ((c.tileX as number) * (c.tileY as number) > 1024 ? 'too many threads' : null)],
    features: (c) => ({ log2Threads: Math.log2((c.tileX as number) * (c.tileY as number)) }),
  });
}

/**
 * Milliseconds: fastest near tileX=16, tileY=8, unroll=4, stages=2, vector on the whole GPU; on a
 * smaller share (0..1] everything is slower and smaller tiles pay (the best tileX halves at 1/4).
 * Infinity where the config "runs out of registers".
 */
export function syntheticCost(c: Config, share = 1): number {
  const x = Math.log2(c.tileX as number);
  const y = Math.log2(c.tileY as number);
  if (x + y >= 10 && c.unroll === 8) return Number.POSITIVE_INFINITY;
  const bestX = 4 + 0.5 * Math.log2(share);
  const shape = (x - bestX) ** 2 * 0.08 + (y - 3) ** 2 * 0.06 + 0.04 * (x - bestX) * (y - 3);
  const unroll = Math.abs(Math.log2((c.unroll as number) + 1) - Math.log2(5)) * 0.08;
  const stages = c.stages === 2 ? 0 : 0.05 + (c.vector ? 0.05 : 0);
  return (1 + shape + unroll + stages + (c.vector ? 0 : 0.12)) / share ** 0.8;
}

export function syntheticResult(c: Config, share = 1): MeasureResult {
  const cost = syntheticCost(c, share);
  if (!Number.isFinite(cost))
    return { ok: false, kind: 'resources', message: 'too many registers', compileMs: 1 };
  return okResult(cost, c);
}

/** A successful measurement of `ms` milliseconds. */
export function okResult(ms: number, c: Config): MeasureResult {
  return {
    ok: true,
    timesMs: [ms],
    medianMs: ms,
    compileMs: 1,
    checked: true,
    maxRelError: 0,
    binaryHash: stableStringify(c),
    registers: 32,
  };
}
