/**
 * Lowers Conv, Gemm and MatMul to the tunable nodes (conv2d, dense, batch_matmul) that carry
 * their Workload. A Conv's bias and a Gemm's C become the workload's bias (or residual, for a
 * full-size C). MatMul by a constant 2-D matrix is a dense layer (the weight is stored transposed,
 * [n, k], as PyTorch's Linear keeps it); MatMul of two activations with equal batch dimensions is
 * a batch_matmul, with transB when B comes from a Transpose that swaps its last two axes.
 * What fits none of these stays as it is (the reference path still runs it).
 */
import { batchMatmulWorkload, conv2dWorkload, denseWorkload } from '../../ops/index.js';
import type { Workload } from '../../ops/types.js';
import { convShape } from '../conv-attrs.js';
import {
  attrFloat,
  attrInt,
  consumersOf,
  freshName,
  type Graph,
  type GraphNode,
  namesInUse,
  numel,
  type TensorInfo,
} from '../ir.js';
import { permOf } from '../shape-params.js';
import { inferShapes } from '../shapes.js';
import { constantOf, copyGraph, soleConsumer } from './util.js';

interface Lowering {
  graph: Graph;
  infos: Map<string, TensorInfo>;
  taken: Set<string>;
  transposed: Map<string, string>;
}

export function lowerTunable(graph: Graph): Graph {
  const out = copyGraph(graph);
  const ctx: Lowering = {
    graph: out,
    infos: inferShapes(graph),
    taken: namesInUse(graph),
    transposed: new Map(),
  };
  const consumers = consumersOf(graph);
  out.nodes = graph.nodes.map((node) => {
    if (node.op === 'Conv') return lowerConv(ctx, node);
    if (node.op === 'Gemm') return lowerGemm(ctx, node) ?? node;
    if (node.op === 'MatMul') return lowerMatMul(ctx, node, consumers) ?? node;
    return node;
  });
  return out;
}

const shapeOf = (ctx: Lowering, name: string | undefined) => ctx.infos.get(name ?? '')?.shape ?? [];

function tunableNode(node: GraphNode, inputs: string[], workload: Workload): GraphNode {
  return { name: node.name, op: workload.op, inputs, outputs: [...node.outputs], attrs: {}, workload };
}

function lowerConv(ctx: Lowering, node: GraphNode): GraphNode {
  const shape = convShape(node, shapeOf(ctx, node.inputs[0]), shapeOf(ctx, node.inputs[1]));
  const hasBias = (node.inputs[2] ?? '') !== '';
  return tunableNode(node, node.inputs.slice(0, hasBias ? 3 : 2), conv2dWorkload(shape, { bias: hasBias }));
}

/** A [k, n] constant stored as [n, k] (once per source tensor). */
function transposedConstant(ctx: Lowering, name: string): string | undefined {
  const cached = ctx.transposed.get(name);
  if (cached) return cached;
  const source = constantOf(ctx.graph, name);
  if (source?.shape.length !== 2 || source.dtype !== 'f32') return undefined;
  const [k = 0, n = 0] = source.shape;
  const data = new Float32Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) data[j * k + i] = source.data[i * n + j] as number;
  const tName = freshName(ctx.taken, `${name}.T`);
  ctx.graph.initializers.push({ name: tName, dtype: 'f32', shape: [n, k], data });
  ctx.infos.set(tName, { name: tName, dtype: 'f32', shape: [n, k] });
  ctx.transposed.set(name, tName);
  return tName;
}

function lowerGemm(ctx: Lowering, node: GraphNode): GraphNode | undefined {
  if (
    attrInt(node, 'transA', 0) !== 0 ||
    attrFloat(node, 'alpha', 1) !== 1 ||
    attrFloat(node, 'beta', 1) !== 1
  ) {
    return undefined;
  }
  const [a = '', b = '', c = ''] = node.inputs;
  const [m = 0, k = 0] = shapeOf(ctx, a);
  const weight = attrInt(node, 'transB', 0) === 1 ? b : transposedConstant(ctx, b);
  if (!weight) return undefined;
  const n = shapeOf(ctx, weight)[0] ?? 0;
  const cSize = c === '' ? 0 : numel(shapeOf(ctx, c));
  const bias = c !== '' && cSize === n;
  const residual = c !== '' && !bias && cSize === m * n;
  if (c !== '' && !bias && !residual) return undefined;
  const inputs = c === '' ? [a, weight] : [a, weight, c];
  return tunableNode(node, inputs, denseWorkload({ m, n, k }, { bias, residual }));
}

function lowerMatMul(
  ctx: Lowering,
  node: GraphNode,
  consumers: Map<string, GraphNode[]>,
): GraphNode | undefined {
  const [a = '', b = ''] = node.inputs;
  const aShape = shapeOf(ctx, a);
  const bShape = shapeOf(ctx, b);
  const k = aShape[aShape.length - 1] ?? 0;
  const n = bShape[bShape.length - 1] ?? 0;
  const m = aShape[aShape.length - 2] ?? 0;
  if (bShape.length === 2) {
    const rows = numel(aShape) / k;
    const weight = transposedConstant(ctx, b);
    if (weight) return tunableNode(node, [a, weight], denseWorkload({ m: rows, n, k }));
    return tunableNode(node, [a, b], batchMatmulWorkload({ b: 1, m: rows, n, k }));
  }
  const batchA = aShape.slice(0, -2);
  if (aShape.length !== bShape.length || batchA.join() !== bShape.slice(0, -2).join()) return undefined;
  const batch = numel(batchA);
  // B = Transpose(Bt) swapping the last two axes: read Bt directly as [batch, n, k].
  const transpose = ctx.graph.nodes.find((p) => p.outputs.includes(b));
  if (transpose?.op === 'Transpose' && soleConsumer(ctx.graph, consumers, b) === node) {
    const perm = permOf(transpose, bShape.length);
    const rank = perm.length;
    const swapsLastTwo = perm.every((p, i) =>
      i < rank - 2 ? p === i : p === (i === rank - 2 ? rank - 1 : rank - 2),
    );
    if (swapsLastTwo) {
      return tunableNode(
        node,
        [a, transpose.inputs[0] ?? ''],
        batchMatmulWorkload({ b: batch, m, n, k, transB: true }),
      );
    }
  }
  return tunableNode(node, [a, b], batchMatmulWorkload({ b: batch, m, n, k }));
}
