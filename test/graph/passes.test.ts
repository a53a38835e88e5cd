import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Graph } from '../../src/graph/ir.js';
import {
  foldBatchNorm,
  foldConstants,
  fuseEpilogues,
  fuseGelu,
  lowerTunable,
  optimizeGraph,
  removeDeadNodes,
  removeIdentities,
} from '../../src/graph/passes/index.js';
import { randomGraphInputs, runReference } from '../../src/graph/reference.js';
import { workloadKey } from '../../src/ops/index.js';
import { maxRelError, smallCnn } from './helpers.js';

const ops = (g: Graph) => g.nodes.map((n) => n.op);

/** Both graphs on the same random inputs; the largest relative difference of the first output. */
function outputDifference(a: Graph, b: Graph): number {
  const inputs = randomGraphInputs(a, 21);
  const name = a.outputs[0] ?? '';
  return maxRelError(runReference(b, inputs)[name]?.data ?? [], runReference(a, inputs)[name]?.data ?? []);
}

describe('removeIdentities and removeDeadNodes', () => {
  it('bypasses Identity and Dropout, also when one writes a graph output', () => {
    const b = new GraphBuilder('id');
    const x = b.input('x', [2, 2]);
    const r = b.relu(b.node('Dropout', 'drop', [b.node('Identity', 'id1', [x])]), 'relu');
    const g = b.finish([b.node('Identity', 'id2', [r])]);
    const out = removeIdentities(g);
    expect(ops(out)).toEqual(['Relu']);
    expect(out.nodes[0]?.inputs).toEqual([x]);
    expect(out.nodes[0]?.outputs).toEqual(['id2']);
    expect(runReference(out, { x: Float32Array.of(-1, 2, -3, 4) }).id2?.data).toEqual(
      Float32Array.of(0, 2, 0, 4),
    );
  });

  it('drops nodes and initializers no output depends on', () => {
    const b = new GraphBuilder('dead');
    const x = b.input('x', [1, 4]);
    b.linear(x, 'unused', 3);
    const g = b.finish([b.relu(x, 'relu')]);
    const out = removeDeadNodes(g);
    expect(ops(out)).toEqual(['Relu']);
    expect(out.initializers).toEqual([]);
  });
});

describe('foldConstants', () => {
  it('folds a Shape -> Gather -> Unsqueeze -> Concat chain into the Reshape target', () => {
    const b = new GraphBuilder('chain');
    const x = b.input('x', [2, 3, 4]);
    const shape = b.node('Shape', 'shape', [x]);
    const dim0 = b.node('Gather', 'gather', [shape, b.constant('zero', [], [0], 'i64')], { axis: 0 });
    const un = b.node('Unsqueeze', 'unsq', [dim0, b.ints('axes', [0])]);
    const target = b.node('Concat', 'concat', [un, b.ints('minus1', [-1])], { axis: 0 });
    const g = b.finish([b.node('Reshape', 'reshape', [x, target])]);
    const folded = removeDeadNodes(foldConstants(g));
    expect(ops(folded)).toEqual(['Reshape']);
    const init = folded.initializers.find((i) => i.name === folded.nodes[0]?.inputs[1]);
    expect(Array.from(init?.data ?? [])).toEqual([2, -1]);
    expect(init?.dtype).toBe('i64');
  });
});

describe('foldBatchNorm', () => {
  it('folds BN into the conv before it and preserves the outputs', () => {
    const g = smallCnn(3);
    const folded = foldBatchNorm(g);
    expect(ops(folded)).not.toContain('BatchNormalization');
    expect(ops(folded).filter((o) => o === 'Conv')).toHaveLength(3);
    expect(outputDifference(g, removeDeadNodes(folded))).toBeLessThan(1e-5);
  });

  it('leaves a BN whose conv output is also read elsewhere', () => {
    const b = new GraphBuilder('shared');
    const x = b.input('x', [1, 2, 4, 4]);
    const c = b.conv(x, 'conv', { out: 2, kernel: 1 });
    const g = b.finish([b.node('Add', 'add', [b.batchNorm(c, 'bn'), c])]);
    expect(ops(foldBatchNorm(g))).toContain('BatchNormalization');
  });
});

describe('fuseGelu', () => {
  it.each([
    ['(x * (1 + erf)) * 0.5', false],
    ['(x * 0.5) * (1 + erf)', true],
  ])('recognizes %s', (_label, halfFirst) => {
    const b = new GraphBuilder('gelu');
    const x = b.input('x', [3, 5]);
    const erf = b.node('Erf', 'erf', [b.node('Div', 'div', [x, b.constant('sqrt2', [], [Math.SQRT2])])]);
    const onePlus = b.node('Add', 'add', [b.constant('one', [], [1]), erf]);
    const half = b.constant('half', [], [0.5]);
    const out = halfFirst
      ? b.node('Mul', 'mul2', [b.node('Mul', 'mul1', [x, half]), onePlus])
      : b.node('Mul', 'mul2', [b.node('Mul', 'mul1', [x, onePlus]), half]);
    const g = b.finish([out]);
    const fused = removeDeadNodes(fuseGelu(g));
    expect(ops(fused)).toEqual(['Gelu']);
    expect(outputDifference(g, fused)).toBeLessThan(1e-6);
  });

  it('leaves an Erf that is not part of a GELU', () => {
    const b = new GraphBuilder('erf');
    const x = b.input('x', [4]);
    const g = b.finish([b.node('Erf', 'erf', [b.node('Div', 'div', [x, b.constant('two', [], [2])])])]);
    expect(ops(fuseGelu(g))).toEqual(['Div', 'Erf']);
  });
});

describe('lowerTunable', () => {
  it('turns Conv, Gemm and MatMul into workloads of the right shape', () => {
    const b = new GraphBuilder('lower');
    const img = b.input('img', [1, 8, 10, 10]);
    b.conv(img, 'dw', { out: 8, kernel: 3, stride: 2, pad: 1, groups: 8, bias: true });
    const x = b.input('x', [2, 5, 16]);
    b.linear(x, 'proj', 32); // MatMul by a [16, 32] constant + Add
    const flat = b.input('flat', [3, 16]);
    b.node('Gemm', 'gemm_nt', [flat, b.random('wt', [16, 4], 0.1)], { transB: 0 });
    const q = b.input('q', [2, 4, 6, 8]);
    const k = b.input('k', [2, 4, 7, 8]);
    const kT = b.node('Transpose', 'kT', [k], { perm: [0, 1, 3, 2] });
    b.node('MatMul', 'scores', [q, kT]);
    b.node('MatMul', 'broadcast', [q, b.input('v', [4, 8, 3])]);
    const g = b.finish(['dw', 'proj/Add', 'gemm_nt', 'scores', 'broadcast']);
    const lowered = removeDeadNodes(lowerTunable(g));
    const keyOf = (name: string) => {
      const w = lowered.nodes.find((n) => n.name === name)?.workload;
      return w ? workloadKey(w) : undefined;
    };
    expect(keyOf('dw')).toBe('conv2d.f32.n1.c8.h10.w10.k8.r3.s3.st2x2.pd1x1.dl1x1.g8+bias');
    expect(keyOf('proj/MatMul')).toBe('dense.f32.m10.n32.k16');
    expect(keyOf('gemm_nt')).toBe('dense.f32.m3.n4.k16');
    expect(keyOf('scores')).toBe('batch_matmul.f32.b8.m6.n7.k8.tb1');
    expect(keyOf('broadcast')).toBeUndefined();
    expect(ops(lowered)).not.toContain('Transpose');
    expect(outputDifference(g, lowered)).toBeLessThan(1e-5);
  });
});

describe('fuseEpilogues', () => {
  it('fuses bias, residual and relu6 into the producer of the first Add operand', () => {
    const b = new GraphBuilder('fuse');
    const x = b.input('x', [1, 4, 6, 6]);
    const main = b.conv(x, 'main', { out: 4, kernel: 3, pad: 1 });
    const side = b.conv(x, 'side', { out: 4, kernel: 1 });
    const biased = b.node('Add', 'bias_add', [main, b.random('b', [4, 1, 1], 0.1)]);
    const sum = b.node('Add', 'res_add', [biased, side]);
    const g = b.finish([b.relu6(sum, 'act')]);
    const fused = removeDeadNodes(fuseEpilogues(lowerTunable(g)));
    expect(ops(fused)).toEqual(['conv2d', 'conv2d']);
    const mainNode = fused.nodes.find((n) => n.name === 'main');
    expect(mainNode?.workload?.epilogue).toEqual({
      bias: true,
      bnScaleShift: false,
      residual: true,
      activation: 'relu6',
    });
    expect(mainNode?.outputs).toEqual(['act']);
    expect(fused.nodes.find((n) => n.name === 'side')?.workload?.epilogue.residual).toBe(false);
    // The fused node runs after the residual it reads.
    expect(fused.nodes.map((n) => n.name)).toEqual(['side', 'main']);
    expect(outputDifference(g, fused)).toBeLessThan(1e-5);
  });

  it('fuses nothing after an activation, nor into a node whose output has two readers', () => {
    const b = new GraphBuilder('nofuse');
    const x = b.input('x', [2, 8]);
    const y = b.relu(b.linear(x, 'fc1', 8), 'relu');
    const z = b.linear(x, 'fc2', 8);
    const g = b.finish([
      b.node('Add', 'after_act', [y, x]),
      b.node('Mul', 'square', [z, z]),
      b.relu(z, 'other'),
    ]);
    const fused = removeDeadNodes(fuseEpilogues(lowerTunable(g)));
    expect(ops(fused)).toEqual(['dense', 'dense', 'Add', 'Mul', 'Relu']);
    expect(fused.nodes[0]?.workload?.epilogue.activation).toBe('relu');
  });
});

describe('optimizeGraph', () => {
  it('is idempotent and preserves the outputs', () => {
    const g = smallCnn(5);
    const once = optimizeGraph(g);
    expect(optimizeGraph(once)).toEqual(once);
    expect(ops(once)).toEqual([
      'conv2d',
      'conv2d',
      'MaxPool',
      'conv2d',
      'AveragePool',
      'GlobalAveragePool',
      'Flatten',
      'dense',
      'Softmax',
    ]);
    expect(outputDifference(g, once)).toBeLessThan(1e-5);
  });
});
