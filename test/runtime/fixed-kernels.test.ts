import { describe, expect, it } from 'vitest';
import { createSimCompiler } from '../../src/gpu/sim/index.js';
import { checkSource } from '../../src/gpu/sim/source-check.js';
import type { KernelSource } from '../../src/gpu/types.js';
import type { GraphNode, TensorValue } from '../../src/graph/ir.js';
import { ELEMENTWISE_KERNELS } from '../../src/graph/kernels/elementwise.js';
import { LAYOUT_KERNELS } from '../../src/graph/kernels/layout.js';
import { offsetC } from '../../src/templates/fixed/common.js';
import {
  BINARY_OPS,
  binaryKernel,
  broadcastSpace,
  coalesce,
  concatKernels,
  concatSpace,
  copyKernel,
  globalAvgPoolKernel,
  type IterationSpace,
  layerNormKernel,
  offsetOf,
  pool2dKernel,
  ROW_WARPS_PER_BLOCK,
  rowOffset,
  sliceKernel,
  sliceSpace,
  softmaxKernel,
  splitKernels,
  transposeKernel,
  transposeSpace,
  UNARY_OPS,
  unaryKernel,
} from '../../src/templates/fixed/index.js';
import { broadcastShapes } from '../../src/util/shape.js';

const compiler = createSimCompiler('sm_90');
const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);
const tensor = (shape: number[], data = iota(elements(shape))): TensorValue => ({
  dtype: 'f32',
  shape,
  data,
});
const node = (op: string, attrs: GraphNode['attrs'] = {}, inputs = 2): GraphNode => ({
  name: op.toLowerCase(),
  op,
  inputs: Array.from({ length: inputs }, (_, i) => `x${i}`),
  outputs: ['y0'],
  attrs,
});

function wellFormed(k: KernelSource): void {
  expect(checkSource(k.code, k.entry)).toEqual([]);
  expect(() => compiler.compile(k)).not.toThrow();
  expect(k.code).toContain('extern "C" __global__');
  expect(k.computes.startsWith('fixed.')).toBe(true);
  expect(k.entry).toMatch(/^fixed_\w+_[0-9a-f]{16}$/);
  expect(k.args.at(-1)).toMatchObject({ kind: 'buffer', role: 'output' });
  expect(k.model.dramBytes).toBeGreaterThan(0);
}

/** Every index of [0, n) exactly once; returns the first problem. */
function exactlyOnce(indices: Iterable<number>, n: number): string | null {
  const seen = new Uint8Array(n);
  for (const i of indices) {
    if (i < 0 || i >= n) return `index ${i} outside [0, ${n})`;
    if (seen[i]) return `index ${i} twice`;
    seen[i] = 1;
  }
  const missing = seen.indexOf(0);
  return missing >= 0 ? `index ${missing} never` : null;
}

function* mapped(space: IterationSpace, m: number): Generator<number> {
  for (let i = 0; i < elements(space.shape); i++) yield offsetOf(space, m, i);
}

/** Runs a strided copy's mirror: out[map 1] = x[map 0]. */
function copyThrough(
  space: IterationSpace,
  x: Float32Array,
  outElements: number,
  out = new Float32Array(outElements),
) {
  for (let i = 0; i < elements(space.shape); i++)
    out[offsetOf(space, 1, i)] = x[offsetOf(space, 0, i)] as number;
  return out;
}

describe('fixed kernels: well-formed source', () => {
  const all: [string, KernelSource][] = [
    ...BINARY_OPS.map((op) => [op, binaryKernel(op, [1, 64, 7, 7], [1, 64, 1, 1])] as [string, KernelSource]),
    ...UNARY_OPS.map((op) => [op, unaryKernel(op, 1000, { min: 0, max: 6 })] as [string, KernelSource]),
    ['copy', copyKernel(17)],
    [
      'maxpool',
      pool2dKernel({
        kind: 'max',
        n: 1,
        c: 64,
        h: 112,
        w: 112,
        oh: 56,
        ow: 56,
        kernel: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
        dilations: [1, 1],
        countIncludePad: false,
      }),
    ],
    [
      'avgpool',
      pool2dKernel({
        kind: 'avg',
        n: 2,
        c: 3,
        h: 9,
        w: 9,
        oh: 9,
        ow: 9,
        kernel: [3, 3],
        strides: [1, 1],
        pads: [1, 1, 1, 1],
        dilations: [1, 1],
        countIncludePad: true,
      }),
    ],
    ['gap', globalAvgPoolKernel(512, 49)],
    ['softmax', softmaxKernel({ rows: 1536, len: 128, inner: 1 })],
    ['layernorm', layerNormKernel(128, 768, 1e-12, true)],
    ['transpose', transposeKernel([1, 128, 12, 64], [0, 2, 1, 3])],
    ['slice', sliceKernel([4, 10], { start: [1, 9], step: [2, -3], count: [2, 4] })],
    ...splitKernels([2, 6, 5], 1, [2, 4]).map((k) => ['split', k] as [string, KernelSource]),
    ...concatKernels(
      [
        [1, 2, 3],
        [1, 4, 3],
      ],
      1,
    ).map((k) => ['concat', k] as [string, KernelSource]),
  ];
  it.each(all)('%s compiles on the simulated compiler and declares its arguments', (_name, k) =>
    wellFormed(k),
  );

  it('names equal kernels alike and different ones apart', () => {
    expect(binaryKernel('add', [2, 3], [3]).entry).toBe(binaryKernel('add', [2, 3], [3]).entry);
    expect(binaryKernel('add', [2, 3], [3]).entry).not.toBe(binaryKernel('mul', [2, 3], [3]).entry);
    const [a, b] = concatKernels(
      [
        [1, 2],
        [1, 2],
      ],
      1,
    );
    expect(a?.computes).not.toBe(b?.computes);
  });

  it('refuses shapes that do not fit', () => {
    expect(() => binaryKernel('add', [2, 3], [4])).toThrow(/do not broadcast/);
    expect(() => transposeKernel([2, 3], [0, 0])).toThrow(/permutation/);
    expect(() => sliceKernel([4], { start: [3], step: [1], count: [2] })).toThrow(/does not fit/);
    expect(() => splitKernels([2, 6], 1, [2, 3])).toThrow(/do not cover/);
    expect(() => unaryKernel('clip', 4, { min: 1, max: 0 })).toThrow(/min/);
  });
});

describe('fixed kernels: index math', () => {
  it('coalesces dimensions every map walks contiguously and keeps the rest', () => {
    expect(coalesce([2, 3, 4], [{ strides: [12, 4, 1], offset: 0 }]).shape).toEqual([24]);
    const s = broadcastSpace([1, 64, 7, 7], [1, 64, 1, 1]);
    expect(s.shape).toEqual([64, 49]);
    expect(s.maps[1]?.strides).toEqual([1, 0]);
  });

  it.each([
    [[2, 3, 4], [4]],
    [
      [2, 3, 4],
      [3, 1],
    ],
    [
      [2, 1, 4],
      [1, 3, 1],
    ],
    [
      [1, 64, 7, 7],
      [1, 64, 1, 1],
    ],
    [[5], []],
    [
      [1, 12, 8, 8],
      [1, 1, 8, 8],
    ],
  ])('broadcasts [%s] with [%s] as the reference Sub does, and writes each output once', (a, b) => {
    const space = broadcastSpace(a, b);
    const out = elements(space.shape);
    expect(exactlyOnce(mapped(space, 2), out)).toBeNull();
    const x = tensor(a);
    const y = tensor(
      b,
      Float32Array.from(iota(elements(b)), (v) => v * 0.5),
    );
    const got = Float32Array.from(
      { length: out },
      (_, i) => (x.data[offsetOf(space, 0, i)] as number) - (y.data[offsetOf(space, 1, i)] as number),
    );
    const ref = ELEMENTWISE_KERNELS.Sub?.(
      node('Sub'),
      [x, y],
      [{ name: 'y0', dtype: 'f32', shape: broadcastShapes(a, b) ?? [] }],
    );
    expect(Array.from(got)).toEqual(Array.from(ref?.[0]?.data ?? []));
    const k = binaryKernel('sub', a, b);
    expect(k.code).toContain(`p_a[${offsetC(space, 0)}] - p_b[${offsetC(space, 1)}]`);
    expect(k.code).toContain(`idx < ${out}; idx += gridDim.x * blockDim.x`);
  });

  it.each([
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
    [
      [1, 4, 3, 5],
      [0, 2, 1, 3],
    ],
    [
      [1, 4, 3, 5],
      [0, 2, 3, 1],
    ],
    [[6], [0]],
  ])('transposes [%s] by [%s] as the reference does', (shape, perm) => {
    const space = transposeSpace(shape, perm);
    const n = elements(shape);
    expect(exactlyOnce(mapped(space, 1), n)).toBeNull();
    expect(exactlyOnce(mapped(space, 0), n)).toBeNull();
    const ref = LAYOUT_KERNELS.Transpose?.(node('Transpose', { perm }, 1), [tensor(shape)], []);
    expect(Array.from(copyThrough(space, iota(n), n))).toEqual(Array.from(ref?.[0]?.data ?? []));
    expect(transposeKernel(shape, perm).code).toContain(
      `p_out[${offsetC(space, 1)}] = p_x[${offsetC(space, 0)}]`,
    );
  });

  it('slices with negative steps as the reference does', () => {
    const shape = [4, 10];
    const box = { start: [1, 9], step: [2, -3], count: [2, 4] };
    const space = sliceSpace(shape, box);
    const ints = (v: number[]): TensorValue => ({
      dtype: 'i64',
      shape: [v.length],
      data: Float64Array.from(v),
    });
    const inputs = [tensor(shape), ints([1, 9]), ints([4, -100]), ints([0, 1]), ints([2, -3])];
    const ref = LAYOUT_KERNELS.Slice?.(node('Slice', {}, 5), inputs, []);
    expect(Array.from(copyThrough(space, iota(40), 8))).toEqual(Array.from(ref?.[0]?.data ?? []));
  });

  it('concatenates: the pieces cover the output exactly once, as the reference does', () => {
    const shapes = [
      [2, 1, 3],
      [2, 4, 3],
      [2, 2, 3],
    ];
    const out = 2 * 7 * 3;
    const all = shapes.flatMap((_, i) => [...mapped(concatSpace(shapes, 1, i), 1)]);
    expect(exactlyOnce(all, out)).toBeNull();
    const values = shapes.map((s, i) => Float32Array.from(iota(elements(s)), (v) => v + 100 * i));
    const got = new Float32Array(out);
    for (const i of shapes.keys())
      copyThrough(concatSpace(shapes, 1, i), values[i] as Float32Array, out, got);
    const ref = LAYOUT_KERNELS.Concat?.(
      node('Concat', { axis: 1 }, 3),
      shapes.map((s, i) => tensor(s, values[i])),
      [{ name: 'y0', dtype: 'f32', shape: [2, 7, 3] }],
    );
    expect(Array.from(got)).toEqual(Array.from(ref?.[0]?.data ?? []));
  });

  it.each([
    [{ rows: 6, len: 5, inner: 1 }],
    [{ rows: 12, len: 3, inner: 4 }],
    [{ rows: 5, len: 33, inner: 5 }],
  ])('row kernels visit every element of %o once, one warp per row', (layout) => {
    const visits = [];
    for (let r = 0; r < layout.rows; r++)
      for (let j = 0; j < layout.len; j++) visits.push(rowOffset(layout, r, j));
    expect(exactlyOnce(visits, layout.rows * layout.len)).toBeNull();
    const k = softmaxKernel(layout);
    expect(k.grid[0] * ROW_WARPS_PER_BLOCK).toBeGreaterThanOrEqual(layout.rows);
    expect(k.block[0]).toBe(32 * ROW_WARPS_PER_BLOCK);
    expect(k.code).toContain(
      `const int base = (row / ${layout.inner}) * ${layout.len * layout.inner} + row % ${layout.inner};`,
    );
    expect(k.code).toContain(`j < ${layout.len}; j += 32) { const int at = base + j * ${layout.inner};`);
  });

  it('pools with the window clipped to the image and the divisor the reference uses', () => {
    const k = pool2dKernel({
      kind: 'avg',
      n: 1,
      c: 2,
      h: 5,
      w: 5,
      oh: 3,
      ow: 3,
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      dilations: [1, 1],
      countIncludePad: false,
    });
    expect(k.code).toContain('if (iy < 0 || iy >= 5) continue;');
    expect(k.code).toContain('acc / (float)count');
    expect(k.code).toContain('idx < 18; idx += gridDim.x * blockDim.x');
  });
});
