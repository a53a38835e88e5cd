import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Graph } from '../../src/graph/ir.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { validateGraph } from '../../src/graph/validate.js';
import { conv2dWorkload } from '../../src/ops/index.js';
import { expectSlicetuneError } from '../helpers/errors.js';
import { smallCnn } from './helpers.js';

describe('shape inference', () => {
  it('follows ONNX rules for conv, pooling, gemm, reshape, transpose, concat, split, slice', () => {
    const b = new GraphBuilder('shapes');
    const x = b.input('x', [2, 3, 17, 17]);
    expect(b.shapeOf(b.conv(x, 'c', { out: 5, kernel: 3, stride: 2, pad: 1 }))).toEqual([2, 5, 9, 9]);
    expect(b.shapeOf(b.conv(x, 'dw', { out: 6, kernel: 3, groups: 3 }))).toEqual([2, 6, 15, 15]);
    const ceil = b.node('MaxPool', 'p', [x], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
    expect(b.shapeOf(ceil)).toEqual([2, 3, 8, 8]);
    const floor = b.node('AveragePool', 'a', [x], { kernel_shape: [3, 3], strides: [2, 2] });
    expect(b.shapeOf(floor)).toEqual([2, 3, 8, 8]);
    expect(b.shapeOf(b.node('GlobalAveragePool', 'g', [x]))).toEqual([2, 3, 1, 1]);
    const flat = b.node('Flatten', 'f', [x], { axis: 1 });
    expect(b.shapeOf(flat)).toEqual([2, 867]);
    expect(b.shapeOf(b.linear(flat, 'fc', 7))).toEqual([2, 7]);
    const r = b.node('Reshape', 'r', [x, b.ints('shape', [0, -1, 17])]);
    expect(b.shapeOf(r)).toEqual([2, 51, 17]);
    expect(b.shapeOf(b.node('Transpose', 't', [r], { perm: [2, 0, 1] }))).toEqual([17, 2, 51]);
    expect(b.shapeOf(b.node('Concat', 'cat', [x, x], { axis: 1 }))).toEqual([2, 6, 17, 17]);
    const parts = b.nodeOutputs('Split', 's', [x, b.ints('split', [1, 2])], { axis: 1 }, 2);
    expect(parts.map((p) => b.shapeOf(p))).toEqual([
      [2, 1, 17, 17],
      [2, 2, 17, 17],
    ]);
    const sl = b.node('Slice', 'sl', [
      x,
      b.ints('st', [1, -5]),
      b.ints('en', [9e18, 100]),
      b.ints('ax', [2, 3]),
      b.ints('sp', [4, 1]),
    ]);
    expect(b.shapeOf(sl)).toEqual([2, 3, 4, 5]);
    const mm = b.node('MatMul', 'mm', [b.input('q', [4, 1, 8, 16]), b.input('k', [3, 16, 5])]);
    expect(b.shapeOf(mm)).toEqual([4, 3, 8, 5]);
  });

  it('names the node when shapes do not agree', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', [2, 3]);
    const y = b.input('y', [4, 3]);
    expectSlicetuneError(
      () => b.node('Add', 'broken_add', [x, y]),
      'BAD_MODEL',
      "'broken_add' (Add)",
      '[2,3]',
      '[4,3]',
    );
    expectSlicetuneError(
      () => b.node('Reshape', 'rs', [x, b.ints('s', [5, -1])]),
      'BAD_MODEL',
      "'rs' (Reshape)",
    );
    expectSlicetuneError(() => b.node('Fancy', 'f', [x]), 'UNSUPPORTED_OP', "'f' (Fancy)");
  });

  it('cannot resolve a Reshape whose target shape is computed at run time', () => {
    const b = new GraphBuilder('dynamic');
    const x = b.input('x', [2, 3]);
    const target = b.input('target', [2], 'i64');
    expectSlicetuneError(
      () => b.node('Reshape', 'dyn_reshape', [x, target]),
      'BAD_MODEL',
      "'dyn_reshape' (Reshape)",
      'not a constant',
    );
  });
});

describe('validator', () => {
  const valid = () => smallCnn();

  it('accepts a built graph and returns every tensor', () => {
    const g = valid();
    const infos = validateGraph(g);
    for (const node of g.nodes) for (const o of node.outputs) expect(infos.has(o)).toBe(true);
    expect(infos.get(g.outputs[0] ?? '')?.shape).toEqual([1, 10]);
  });

  it('rejects use before definition, duplicate tensors, wrong initializer sizes and missing outputs', () => {
    const reordered: Graph = { ...valid(), nodes: [...valid().nodes].reverse() };
    expectSlicetuneError(() => validateGraph(reordered), 'BAD_MODEL', 'not defined before use');
    const g = valid();
    const dup: Graph = {
      ...g,
      nodes: [...g.nodes, { ...(g.nodes[0] as Graph['nodes'][number]), name: 'again' }],
    };
    expectSlicetuneError(() => validateGraph(dup), 'BAD_MODEL', 'defined twice');
    const init = g.initializers[0];
    if (!init) throw new Error('no initializer');
    const short: Graph = {
      ...g,
      initializers: [{ ...init, data: init.data.slice(1) }, ...g.initializers.slice(1)],
    };
    expectSlicetuneError(() => validateGraph(short), 'BAD_MODEL', `'${init.name}'`);
    expectSlicetuneError(() => validateGraph({ ...g, outputs: ['nowhere'] }), 'BAD_MODEL', "'nowhere'");
  });

  it('checks a tunable node against its workload', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', [1, 4, 8, 8]);
    const w = b.random('w', [6, 4, 3, 3], 0.1);
    const g = b.finish([x]);
    const workload = conv2dWorkload({ n: 1, c: 4, h: 8, w: 8, k: 6, r: 3, s: 3, padH: 1, padW: 1 });
    const node = { name: 'conv', op: 'conv2d', inputs: [x, w], outputs: ['y'], attrs: {}, workload };
    const ok: Graph = { ...g, nodes: [node], outputs: ['y'] };
    expect(inferShapes(ok).get('y')?.shape).toEqual([1, 6, 8, 8]);
    const wrong = { ...workload, shape: { ...workload.shape, c: 5 } };
    expectSlicetuneError(
      () => validateGraph({ ...ok, nodes: [{ ...node, workload: wrong }] }),
      'BAD_MODEL',
      "'conv' (conv2d)",
    );
  });

  it('is plain data: a structured clone validates and equals the original', () => {
    const g = valid();
    const copy = structuredClone(g);
    expect(copy).toEqual(g);
    expect(() => validateGraph(copy)).not.toThrow();
  });
});
