import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Graph } from '../../src/graph/ir.js';
import { erf, gelu } from '../../src/graph/kernels/elementwise.js';
import { runReference } from '../../src/graph/reference.js';

/** Runs a one-output graph and returns its values as a plain array. */
function run(g: Graph, inputs: Record<string, number[]>): number[] {
  const data = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Float32Array.from(v)]));
  const out = runReference(g, data)[g.outputs[0] ?? ''];
  return Array.from(out?.data ?? []);
}

const iota = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

describe('reference kernels', () => {
  it('broadcasts binary ops like numpy', () => {
    const b = new GraphBuilder('bc');
    const x = b.input('x', [2, 1, 3]);
    const y = b.input('y', [4, 1]);
    const g = b.finish([b.node('Sub', 'sub', [x, y])]);
    const xs = iota(6);
    const ys = [10, 20, 30, 40];
    const expected: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++)
        for (let k = 0; k < 3; k++) expected.push((xs[i * 3 + k] as number) - (ys[j] as number));
    expect(run(g, { x: xs, y: ys })).toEqual(expected);
  });

  it('transposes, slices with steps, splits and concatenates', () => {
    const b = new GraphBuilder('layout');
    const x = b.input('x', [2, 3, 4]);
    const t = b.node('Transpose', 't', [x], { perm: [2, 0, 1] });
    const s = b.node('Slice', 's', [
      t,
      b.ints('st', [3, 0]),
      b.ints('en', [-5, 9]),
      b.ints('ax', [0, 2]),
      b.ints('sp', [-2, 2]),
    ]);
    const [p0 = '', p1 = ''] = b.nodeOutputs('Split', 'split', [s, b.ints('sz', [1, 1])], { axis: 1 }, 2);
    const g = b.finish([b.node('Concat', 'cat', [p1, p0], { axis: 0 })]);
    const xs = iota(24);
    const at = (i: number, j: number, k: number) => xs[i * 12 + j * 4 + k] as number;
    // t[a][i][j] = x[i][j][a]; slice a in {3, 1}, j in {0, 2}; split on i; concat i=1 first.
    const expected: number[] = [];
    for (const i of [1, 0]) for (const a of [3, 1]) for (const j of [0, 2]) expected.push(at(i, j, a));
    expect(run(g, { x: xs })).toEqual(expected);
  });

  it('pools with padding: max ignores it, average divides by the valid count unless told otherwise', () => {
    const b = new GraphBuilder('pool');
    const x = b.input('x', [1, 1, 2, 2]);
    const attrs = { kernel_shape: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0] };
    const mx = b.node('MaxPool', 'mx', [x], attrs);
    const avg = b.node('AveragePool', 'avg', [x], attrs);
    const avgPad = b.node('AveragePool', 'avgp', [x], { ...attrs, count_include_pad: 1 });
    const g = b.finish([b.node('Concat', 'cat', [mx, avg, avgPad], { axis: 1 })]);
    expect(run(g, { x: [-1, -2, -3, -4] })).toEqual([
      -1, -1, -1, -1, -1, -1.5, -2, -2.5, -0.25, -0.75, -1, -2.5,
    ]);
  });

  it('computes softmax, layer norm and batch norm', () => {
    const b = new GraphBuilder('norms');
    const x = b.input('x', [1, 2, 3]);
    const sm = b.node('Softmax', 'sm', [x], { axis: 1 });
    const ln = b.node(
      'LayerNormalization',
      'ln',
      [x, b.constant('g', [3], [1, 2, 3]), b.constant('be', [3], [0, 0, 1])],
      { epsilon: 0 },
    );
    const g = b.finish([b.node('Concat', 'cat', [sm, ln], { axis: 0 })]);
    const out = run(g, { x: [0, 1, 2, 3, 5, 7] });
    const sig = (d: number) => 1 / (1 + Math.exp(-d));
    [sig(-3), sig(-4), sig(-5), sig(3), sig(4), sig(5)].forEach((v, i) => {
      expect(out[i]).toBeCloseTo(v, 6);
    });
    const s = Math.sqrt(2 / 3);
    [-1 / s, 0, 3 / s + 1, -1 / s, 0, 3 / s + 1].forEach((v, i) => {
      expect(out[6 + i]).toBeCloseTo(v, 5);
    });

    const bn = new GraphBuilder('bn');
    const y = bn.input('y', [1, 2, 1, 2]);
    const c = (name: string, v: number[]) => bn.constant(name, [2], v);
    const gb = bn.finish([
      bn.node(
        'BatchNormalization',
        'b',
        [y, c('s', [2, 1]), c('t', [1, 0]), c('m', [1, 2]), c('v', [4, 0.25])],
        { epsilon: 0 },
      ),
    ]);
    expect(run(gb, { y: [3, 5, 2, 4] })).toEqual([3, 5, 0, 4]);
  });

  it('evaluates erf and GELU to float32 accuracy', () => {
    const known: [number, number][] = [
      [0.01, 0.011283415555849618],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-1.9, -0.9927904292352575],
      [2.5, 0.999593047982555],
    ];
    for (const [x, v] of known) expect(Math.abs(erf(x) - v) / Math.abs(v)).toBeLessThan(1e-7);
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 7);
  });

  it('runs Gemm with transposes and a broadcast C, and batched MatMul with broadcasting', () => {
    const b = new GraphBuilder('gemm');
    const a = b.input('a', [3, 2]);
    const w = b.constant('w', [4, 3], iota(12));
    const gm = b.node('Gemm', 'g', [a, w, b.constant('c', [1, 4], [1, 2, 3, 4])], {
      transA: 1,
      transB: 1,
      alpha: 2,
      beta: 1,
    });
    const g = b.finish([gm]);
    const av = iota(6, 1);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let p = 0; p < 3; p++) s += (av[p * 2 + i] as number) * (j * 3 + p);
        expected.push(2 * s + j + 1);
      }
    }
    expect(run(g, { a: av })).toEqual(expected);

    const m = new GraphBuilder('mm');
    const x = m.input('x', [2, 1, 1, 2]);
    const y = m.input('y', [3, 2, 1]);
    const gm2 = m.finish([m.node('MatMul', 'mm', [x, y])]);
    const out = run(gm2, { x: [1, 2, 3, 4], y: [1, 1, 2, 0, 0, 3] });
    // out[i][j] = x[i] . y[j]
    expect(out).toEqual([3, 2, 6, 7, 6, 12]);
  });

  it('runs a decomposed LayerNorm (ReduceMean, Sub, Pow, Sqrt, Div) like LayerNormalization', () => {
    const b = new GraphBuilder('ln');
    const x = b.input('x', [2, 3, 8]);
    const mean = b.node('ReduceMean', 'mean', [x], { axes: [-1], keepdims: 1 });
    const centered = b.node('Sub', 'sub', [x, mean]);
    const variance = b.node(
      'ReduceMean',
      'var',
      [b.node('Pow', 'pow', [centered, b.constant('two', [], [2])])],
      { axes: [-1] },
    );
    const std = b.node('Sqrt', 'sqrt', [b.node('Add', 'eps', [variance, b.constant('e', [], [1e-5])])]);
    const gamma = b.random('gamma', [8], 0.3, 1);
    const beta = b.random('beta', [8], 0.3);
    const manual = b.node('Add', 'shift', [
      b.node('Mul', 'scale', [b.node('Div', 'div', [centered, std]), gamma]),
      beta,
    ]);
    const fused = b.node('LayerNormalization', 'ln', [x, gamma, beta], { axis: -1, epsilon: 1e-5 });
    const g = b.finish([b.node('Sub', 'diff', [manual, fused])]);
    const xs = Array.from({ length: 48 }, (_, i) => Math.sin(i) * (1 + i / 10));
    for (const d of run(g, { x: xs })) expect(Math.abs(d)).toBeLessThan(1e-5);
    const plain = new GraphBuilder('plain');
    const y = plain.input('y', [2, 3, 8]);
    const fusedOnly = plain.finish([
      plain.node('LayerNormalization', 'ln', [y, plain.constant('g', [8], new Array(8).fill(1))], {
        epsilon: 1e-5,
      }),
    ]);
    // Not trivially zero: the normalized rows have unit variance.
    const normalized = run(fusedOnly, { y: xs });
    const row = normalized.slice(0, 8);
    expect(row.reduce((a, v) => a + v * v, 0) / 8).toBeCloseTo(1, 3);
  });
});
