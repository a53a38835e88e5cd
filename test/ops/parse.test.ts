import { describe, expect, it } from 'vitest';
import {
  batchMatmulWorkload,
  conv2dOutput,
  conv2dWorkload,
  denseWorkload,
  formatShape,
  formatWorkload,
  isDepthwise,
  parseWorkload,
  type Workload,
  workloadKey,
} from '../../src/ops/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isSlicetuneError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected an error');
}

describe('parseWorkload', () => {
  it('reads the README example', () => {
    const w = parseWorkload('conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,stride=1,pad=1');
    expect(workloadKey(w)).toBe('conv2d.f32.n1.c64.h56.w56.k64.r3.s3.st1x1.pd1x1.dl1x1.g1');
  });

  it('reads HxW pairs, dilation, groups, epilogues and spaces', () => {
    const w = parseWorkload(
      'conv2d',
      ' n=2, c=32,h=28,w=27,k=64,r=3,s=1,stride=2x1,pad=1x0,dilation=2,groups=4,epilogue=relu6+residual+bias+bn ',
    );
    const shape = { n: 2, c: 32, h: 28, w: 27, k: 64, r: 3, s: 1, strideH: 2, strideW: 1, padH: 1, padW: 0 };
    const epilogue = { bias: true, bnScaleShift: true, residual: true, activation: 'relu6' } as const;
    expect(w).toEqual(conv2dWorkload({ ...shape, dilationH: 2, dilationW: 2, groups: 4 }, epilogue));
    expect(w.epilogue).toEqual({ bias: true, bnScaleShift: true, residual: true, activation: 'relu6' });
  });

  it('makes depthwise_conv2d a conv2d with groups = c = k', () => {
    const w = parseWorkload('depthwise_conv2d', 'n=1,c=96,h=112,w=112,r=3,s=3,stride=2,pad=1');
    expect(w.op).toBe('conv2d');
    expect(isDepthwise(w)).toBe(true);
    expect(w.op === 'conv2d' && [w.shape.groups, w.shape.k]).toEqual([96, 96]);
    expect(parseWorkload('depthwise_conv2d', 'n=1,c=8,h=7,w=7,k=8,r=3,s=3')).toEqual(
      parseWorkload('conv2d', 'n=1,c=8,h=7,w=7,k=8,r=3,s=3,groups=8'),
    );
  });

  it('reads dense and batch_matmul', () => {
    expect(parseWorkload('dense', 'm=1,n=1000,k=512,epilogue=bias')).toEqual(
      denseWorkload({ m: 1, n: 1000, k: 512 }, { bias: true }),
    );
    expect(parseWorkload('batch_matmul', 'b=12,m=128,n=128,k=64,transB=1')).toEqual(
      batchMatmulWorkload({ b: 12, m: 128, n: 128, k: 64, transB: true }),
    );
    expect(parseWorkload('batch_matmul', 'b=1,m=2,n=3,k=4,transB=false')).toEqual(
      batchMatmulWorkload({ b: 1, m: 2, n: 3, k: 4 }),
    );
  });

  const bad: [string, string, string][] = [
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,strides=1', 'strides'],
    ['conv2d', 'n=1,c=64,h=56,w=56,r=3,s=3', '"k"'],
    ['conv2d', 'n=1,c=sixty,h=56,w=56,k=64,r=3,s=3', '"c"'],
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=-1', '"pad"'],
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,stride=2x1x1', '"stride"'],
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,stride=1.5', '"stride"'],
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,groups=3', 'groups'],
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,epilogue=bias+gelu', 'gelu'],
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,epilogue=relu+relu6', 'relu6'],
    ['conv2d', 'n=1,n=2,c=64,h=56,w=56,k=64,r=3,s=3', '"n" is given twice'],
    ['conv2d', 'n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad', '"pad"'],
    ['conv2d', 'n=0,c=64,h=56,w=56,k=64,r=3,s=3', 'n'],
    ['conv2d', 'n=1,c=64,h=2,w=56,k=64,r=3,s=3', 'h=2'],
    ['depthwise_conv2d', 'n=1,c=8,h=7,w=7,k=16,r=3,s=3', '"k"'],
    ['depthwise_conv2d', 'n=1,c=8,h=7,w=7,r=3,s=3,groups=8', 'groups'],
    ['dense', 'm=1,n=1000', '"k"'],
    ['dense', 'm=1,n=1000,k=512,b=2', '"b"'],
    ['batch_matmul', 'b=1,m=2,n=3,k=4,transB=yes', 'transB'],
  ];
  it.each(bad)('refuses %s %s naming %s', (op, text, named) => {
    const e = errorOf(() => parseWorkload(op, text));
    expect(e.code).toBe('BAD_SHAPE');
    expect(e.message).toContain(named);
  });

  it('lists the accepted keys for unknown and missing keys', () => {
    const e = errorOf(() => parseWorkload('dense', 'm=1,n=2,q=3'));
    expect(e.message).toContain('"q"');
    expect(e.message).toMatch(/required: m, n, k; optional: epilogue/);
  });

  it('refuses an unknown operator', () => {
    expect(errorOf(() => parseWorkload('conv3d', 'n=1')).code).toBe('UNSUPPORTED_OP');
  });
});

describe('formatWorkload', () => {
  const odd: Workload[] = [
    conv2dWorkload({
      n: 1,
      c: 3,
      h: 224,
      w: 224,
      k: 64,
      r: 7,
      s: 7,
      strideH: 2,
      strideW: 2,
      padH: 3,
      padW: 3,
    }),
    conv2dWorkload(
      { n: 1, c: 512, h: 7, w: 7, k: 512, r: 3, s: 3, padH: 1, padW: 1 },
      { bias: true, residual: true },
    ),
    conv2dWorkload(
      { n: 3, c: 5, h: 13, w: 11, k: 7, r: 1, s: 1, strideH: 2, strideW: 3 },
      { activation: 'relu' },
    ),
    conv2dWorkload({ n: 1, c: 96, h: 112, w: 112, k: 96, r: 3, s: 3, padH: 1, padW: 1, groups: 96 }),
    conv2dWorkload({
      n: 1,
      c: 32,
      h: 9,
      w: 17,
      k: 64,
      r: 3,
      s: 5,
      padH: 2,
      padW: 0,
      dilationH: 2,
      groups: 4,
    }),
    denseWorkload({ m: 7, n: 1000, k: 513 }, { bnScaleShift: true, activation: 'relu6' }),
    batchMatmulWorkload({ b: 12, m: 128, n: 128, k: 64, transB: true }),
    batchMatmulWorkload({ b: 1, m: 1, n: 1, k: 1 }, { residual: true }),
  ];
  it.each(odd.map((w) => [formatWorkload(w), w] as const))('round-trips %s', (_, w) => {
    const text = formatWorkload(w);
    expect(text.startsWith(`${w.op} `)).toBe(true);
    expect(parseWorkload(w.op, formatShape(w))).toEqual(w);
    const space = text.indexOf(' ');
    expect(parseWorkload(text.slice(0, space), text.slice(space + 1))).toEqual(w);
  });

  it('round-trips 300 random conv2d shapes', () => {
    const rng = new Rng(11);
    let done = 0;
    while (done < 300) {
      const groups = rng.pick([1, 1, 1, 2, 4]);
      const shape = {
        n: 1 + rng.int(4),
        c: groups * (1 + rng.int(64)),
        h: 1 + rng.int(64),
        w: 1 + rng.int(64),
        k: groups * (1 + rng.int(64)),
        r: 1 + rng.int(7),
        s: 1 + rng.int(7),
        strideH: 1 + rng.int(3),
        strideW: 1 + rng.int(3),
        padH: rng.int(4),
        padW: rng.int(4),
        dilationH: 1 + rng.int(3),
        dilationW: 1 + rng.int(3),
        groups,
      };
      const { oh, ow } = conv2dOutput(shape);
      if (oh < 1 || ow < 1) continue;
      const epilogue = {
        bias: rng.next() < 0.5,
        bnScaleShift: rng.next() < 0.3,
        residual: rng.next() < 0.3,
        activation: rng.pick(['none', 'relu', 'relu6'] as const),
      };
      const w = conv2dWorkload(shape, epilogue);
      expect(parseWorkload('conv2d', formatShape(w))).toEqual(w);
      done++;
    }
  });
});
