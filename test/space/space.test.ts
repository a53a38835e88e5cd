import { describe, expect, it } from 'vitest';
import { type Config, type Constraint, defineSpace, type Knob, splitValue } from '../../src/space/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** A small direct-conv-like space: output tiles over threads, a reduction split, unroll, vector loads. */
function convLike() {
  const knobs: Knob[] = [
    { kind: 'split', name: 'tile_k', extent: 64, parts: 3 },
    { kind: 'split', name: 'tile_y', extent: 14, parts: 3 },
    { kind: 'split', name: 'tile_x', extent: 28, parts: 3, maxFactors: [null, null, 4] },
    { kind: 'split', name: 'tile_rc', extent: 32, parts: 2 },
    { kind: 'choice', name: 'unroll', options: [0, 1500] },
    { kind: 'bool', name: 'vec' },
  ];
  const threads = (c: Config) =>
    splitValue(c, 'tile_k')[1]! * splitValue(c, 'tile_y')[1]! * splitValue(c, 'tile_x')[1]!;
  const constraints: Constraint[] = [
    (c) => (threads(c) <= 256 ? null : `threads ${threads(c)} > 256`),
    (c) => (threads(c) >= 32 ? null : `threads ${threads(c)} < 32`),
    (c) =>
      c.vec === true && splitValue(c, 'tile_x')[2]! % 2 !== 0 ? 'vector loads need an even tile_x' : null,
  ];
  const features = (c: Config) => ({ threads: threads(c), inner: splitValue(c, 'tile_rc')[1]! });
  return {
    knobs,
    constraints,
    threads,
    space: defineSpace({ knobs, constraints, features, name: 'convLike' }),
  };
}

describe('defineSpace sizes', () => {
  it('has rawSize = product of knob sizes', () => {
    const { space } = convLike();
    // 64 = 2^6 into 3: C(8,2) = 28; 14 = 2*7 into 3: 3*3 = 9; 28 into 3 with the last part <= 4:
    // last 1, 2 or 4 leaves 28, 14 or 7 to split in two: 6 + 4 + 2 = 12; 32 into 2: 6; 2; 2.
    expect(space.rawSize).toBe(28 * 9 * 12 * 6 * 2 * 2);
  });

  it('counts valid configs exactly, like nested loops would, and enumerates that many', () => {
    const { space, knobs, constraints } = convLike();
    const size = space.validSize();
    expect(size.exact).toBe(true);
    let count = 0;
    const keys = new Set<string>();
    for (const c of space.enumerate()) {
      expect(constraints.every((f) => f(c) === null)).toBe(true);
      keys.add(space.key(c));
      count++;
    }
    expect(count).toBe(size.count);
    expect(keys.size).toBe(count);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(space.rawSize);
    expect(knobs).toHaveLength(6);
  });

  it('estimates large spaces from a seeded sample, close to the exact count', () => {
    const { space } = convLike();
    const exact = space.validSize().count;
    const estimate = space.validSize({ exactLimit: 10 });
    expect(estimate.exact).toBe(false);
    expect(Math.abs(estimate.count - exact) / exact).toBeLessThan(0.05);
    expect(space.validSize({ exactLimit: 10 })).toEqual(estimate);
  });

  it('enumerates in a fixed order', () => {
    const a = [...convLike().space.enumerate()].slice(0, 50).map((c) => convLike().space.key(c));
    const b = [...convLike().space.enumerate()].slice(0, 50).map((c) => convLike().space.key(c));
    expect(a).toEqual(b);
  });
});

describe('keys and validity', () => {
  const { space } = convLike();
  const config = {
    tile_k: [2, 8, 4],
    tile_y: [7, 2, 1],
    tile_x: [7, 2, 2],
    tile_rc: [4, 8],
    unroll: 1500,
    vec: true,
  };

  it('writes knobs in declared order, whatever the object order', () => {
    expect(space.key(config)).toBe(
      'tile_k=[2,8,4];tile_y=[7,2,1];tile_x=[7,2,2];tile_rc=[4,8];unroll=1500;vec=true',
    );
    const shuffled = Object.fromEntries(Object.entries(config).reverse());
    expect(space.key(shuffled)).toBe(space.key(config));
    expect(space.key({ ...config, vec: false })).not.toBe(space.key(config));
  });

  it('says why a config is invalid', () => {
    expect(space.invalidReason(config)).toBeNull();
    expect(space.isValid(config)).toBe(true);
    expect(space.invalidReason({ ...config, tile_k: [2, 4, 16] })).toContain('tile_k');
    expect(space.invalidReason({ ...config, tile_x: [1, 1, 28] })).toMatch(/tile_x.*within/);
    expect(space.invalidReason({ ...config, unroll: 512 })).toContain('unroll');
    expect(space.invalidReason({ ...config, vec: 1 as never })).toContain('vec');
    expect(space.invalidReason({ ...config, extra: 1 })).toContain('extra');
    const { unroll: _, ...missing } = config;
    expect(space.invalidReason(missing)).toContain('unroll');
    expect(space.invalidReason({ ...config, tile_k: [1, 64, 1], tile_y: [1, 14, 1] })).toContain(
      'threads 1792 > 256',
    );
    expect(space.invalidReason({ ...config, tile_k: [64, 1, 1], tile_y: [14, 1, 1] })).toContain(
      'threads 2 < 32',
    );
    expect(space.invalidReason({ ...config, tile_x: [7, 4, 1] })).toContain('even');
  });

  it('throws BAD_OPTION for a key of a config lacking a knob', () => {
    const { vec: _, ...missing } = config;
    expect(() => space.key(missing)).toThrow(/vec/);
  });
});

describe('sample, mutate, crossover', () => {
  it('always give valid configs, over many seeds', () => {
    const { space } = convLike();
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Rng(seed);
      let a = space.sample(rng);
      let b = space.sample(rng);
      for (let i = 0; i < 25; i++) {
        expect(space.invalidReason(a)).toBeNull();
        const child = space.mutate(a, rng);
        expect(space.invalidReason(child)).toBeNull();
        expect(space.key(child)).not.toBe(space.key(a));
        const mix = space.crossover(a, b, rng);
        expect(space.invalidReason(mix)).toBeNull();
        [a, b] = [child, mix];
      }
    }
  });

  it('samples roughly uniformly over the valid configs', () => {
    const { space } = convLike();
    const rng = new Rng(3);
    const counts = new Map<boolean, number>();
    const all = [...space.enumerate()];
    const shareVec = all.filter((c) => c.vec === true).length / all.length;
    for (let i = 0; i < 2000; i++) {
      const c = space.sample(rng);
      counts.set(c.vec === true, (counts.get(c.vec === true) ?? 0) + 1);
    }
    expect(Math.abs((counts.get(true) ?? 0) / 2000 - shareVec)).toBeLessThan(0.05);
  });

  it('mutates one or two knobs, moving factors within a split', () => {
    const { space } = convLike();
    const rng = new Rng(5);
    let changedKnobs = 0;
    for (let i = 0; i < 300; i++) {
      const parent = space.sample(rng);
      const child = space.mutate(parent, rng);
      const changed = space.knobs.filter(
        (k) => JSON.stringify(parent[k.name]) !== JSON.stringify(child[k.name]),
      );
      expect(changed.length).toBeGreaterThanOrEqual(1);
      changedKnobs += changed.length;
      for (const k of changed) {
        if (k.kind === 'split') expect(product(child[k.name] as number[])).toBe(k.extent);
      }
    }
    expect(changedKnobs / 300).toBeLessThan(1.6);
  });

  it('crossover takes each knob from a parent when that is valid', () => {
    const knobs: Knob[] = [
      { kind: 'choice', name: 'a', options: [1, 2, 3, 4] },
      { kind: 'choice', name: 'b', options: ['x', 'y', 'z'] },
      { kind: 'bool', name: 'c' },
    ];
    const space = defineSpace({ knobs });
    const rng = new Rng(9);
    const p = { a: 1, b: 'x', c: false };
    const q = { a: 4, b: 'z', c: true };
    for (let i = 0; i < 50; i++) {
      const child = space.crossover(p, q, rng);
      for (const k of knobs) expect([p[k.name as 'a'], q[k.name as 'a']]).toContain(child[k.name]);
    }
  });

  it('repairs invalid parents and malformed configs', () => {
    const { space } = convLike();
    const rng = new Rng(2);
    const broken = {
      tile_k: [64, 1, 1, 1],
      tile_y: [1, 14, 1],
      tile_x: [1, 1, 28],
      tile_rc: [3, 3],
      unroll: 7,
    };
    expect(space.invalidReason(space.mutate(broken, rng))).toBeNull();
    expect(space.invalidReason(space.crossover(broken, broken, rng))).toBeNull();
  });

  it('is repeatable for a seed', () => {
    const { space } = convLike();
    const run = () => {
      const rng = new Rng(77);
      const s = space.sample(rng);
      return [s, space.mutate(s, rng), space.crossover(s, space.sample(rng), rng)].map((c) => space.key(c));
    };
    expect(run()).toEqual(run());
  });
});

describe('sparse and empty spaces', () => {
  it('samples a small space where 1 in 10^5 configs is valid', () => {
    const knobs: Knob[] = ['a', 'b', 'c', 'd', 'e'].map((name) => ({
      kind: 'split',
      name,
      extent: 1024,
      parts: 2,
    }));
    const target = [4, 16, 64, 2, 512];
    const constraints: Constraint[] = knobs.map(
      (k, i) => (c) =>
        splitValue(c, k.name)[0] === target[i] ? null : `${k.name} outer must be ${target[i]}`,
    );
    const space = defineSpace({ knobs: knobs.slice(0, 4), constraints: constraints.slice(0, 4) });
    expect(space.rawSize).toBe(11 ** 4);
    const config = space.sample(new Rng(1));
    expect(space.invalidReason(config)).toBeNull();
    expect(space.validSize()).toEqual({ count: 1, exact: true });

    const big = defineSpace({ knobs, constraints });
    expect(big.rawSize).toBe(11 ** 5);
    const rng = new Rng(4);
    for (let i = 0; i < 5; i++) expect(big.invalidReason(big.sample(rng))).toBeNull();
  });

  it('finds the 81 valid configs among a million with joint constraints', () => {
    const knobs: Knob[] = [
      { kind: 'split', name: 'x', extent: 4096, parts: 4 },
      { kind: 'split', name: 'y', extent: 4096, parts: 4 },
      { kind: 'choice', name: 'u', options: [1, 2, 4, 8, 16] },
    ];
    const inner = (c: Config) => splitValue(c, 'x')[3]! * splitValue(c, 'y')[3]! * (c.u as number);
    const space = defineSpace({
      knobs,
      constraints: [
        (c) => (inner(c) === 2048 ? null : `inner ${inner(c)} != 2048`),
        (c) => (splitValue(c, 'x')[0] === splitValue(c, 'y')[0] ? null : 'part 0 differs'),
        (c) => (splitValue(c, 'x')[1] === splitValue(c, 'y')[1] ? null : 'part 1 differs'),
        (c) => (splitValue(c, 'x')[2] === splitValue(c, 'y')[2] ? null : 'part 2 differs'),
      ],
    });
    // x = y, and x[3]^2 * u = 2^11 leaves x[3] = 32, u = 2 (36 splits of 128) or x[3] = 16, u = 8
    // (45 splits of 256): 81 valid of 1,035,125, too rare for rejection sampling and too many to
    // enumerate, so this runs the constraint-guided walk.
    expect(space.rawSize).toBe(455 * 455 * 5);
    const rng = new Rng(8);
    for (let i = 0; i < 5; i++) {
      const c = space.sample(rng);
      expect(space.invalidReason(c)).toBeNull();
      expect(space.invalidReason(space.mutate(c, rng))).toBeNull();
    }
  });

  it('throws UNSUPPORTED_OP with the reason when no config is valid', () => {
    const space = defineSpace({
      name: 'hopeless',
      knobs: [{ kind: 'split', name: 't', extent: 12, parts: 2 }],
      constraints: [() => 'threads 2048 > 1024'],
    });
    expect(space.validSize()).toEqual({ count: 0, exact: true });
    try {
      space.sample(new Rng(1));
      throw new Error('no error');
    } catch (e) {
      expect(isSlicetuneError(e, 'UNSUPPORTED_OP')).toBe(true);
      expect((e as Error).message).toMatch(/hopeless.*threads 2048 > 1024/);
    }
  });

  it('refuses a split no factorization can satisfy, and duplicate knobs', () => {
    expect(() =>
      defineSpace({ knobs: [{ kind: 'split', name: 't', extent: 7, parts: 2, maxFactors: [2, 2] }] }),
    ).toThrow(/t/);
    expect(() =>
      defineSpace({
        knobs: [
          { kind: 'bool', name: 'v' },
          { kind: 'bool', name: 'v' },
        ],
      }),
    ).toThrow(/twice/);
  });
});

describe('features', () => {
  it('has one value per name: log2 factors, choice index and value, bools, derived', () => {
    const { space, threads } = convLike();
    const names = space.featureNames();
    expect(names).toEqual([
      'tile_k.0',
      'tile_k.1',
      'tile_k.2',
      'tile_y.0',
      'tile_y.1',
      'tile_y.2',
      'tile_x.0',
      'tile_x.1',
      'tile_x.2',
      'tile_rc.0',
      'tile_rc.1',
      'unroll.index',
      'unroll',
      'vec',
      'threads',
      'inner',
    ]);
    const config = {
      tile_k: [2, 4, 8],
      tile_y: [7, 2, 1],
      tile_x: [7, 2, 2],
      tile_rc: [4, 8],
      unroll: 1500,
      vec: true,
    };
    const f = space.features(config);
    expect(f).toHaveLength(names.length);
    expect(f.slice(0, 3)).toEqual([1, 2, 3]);
    expect(f[names.indexOf('unroll.index')]).toBe(1);
    expect(f[names.indexOf('unroll')]).toBe(1500);
    expect(f[names.indexOf('vec')]).toBe(1);
    expect(f[names.indexOf('threads')]).toBe(threads(config));
    expect(f[names.indexOf('inner')]).toBe(8);
    for (const c of [...space.enumerate()].slice(0, 100))
      expect(space.features(c)).toHaveLength(names.length);
  });

  it('leaves out choice values for string options', () => {
    const space = defineSpace({ knobs: [{ kind: 'choice', name: 'layout', options: ['nchw', 'nhwc'] }] });
    expect(space.featureNames()).toEqual(['layout.index']);
    expect(space.features({ layout: 'nhwc' })).toEqual([1]);
  });
});
