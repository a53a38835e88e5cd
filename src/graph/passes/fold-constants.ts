/**
 * Constant folding. Shapes are static, so Shape of any tensor is a constant, and the
 * Shape -> Gather -> Unsqueeze -> Concat chains PyTorch writes before a Reshape fold into the
 * constant target shape. Any other node whose inputs are all constants is evaluated too (cheap
 * ops only: the tunable ones are what the tuner is for).
 */
import type { Graph, GraphNode, Initializer, TensorInfo, TensorValue } from '../ir.js';
import { KERNELS } from '../kernels/index.js';
import { inferNode, type ShapeLookup } from '../shapes.js';
import { copyGraph } from './util.js';

const NEVER_FOLD = new Set(['Conv', 'MatMul', 'Gemm', 'conv2d', 'dense', 'batch_matmul']);

export function foldConstants(graph: Graph): Graph {
  const out = copyGraph(graph);
  const infos = new Map<string, TensorInfo>();
  const values = new Map<string, TensorValue>();
  for (const input of graph.inputs) infos.set(input.name, input);
  for (const init of graph.initializers) {
    infos.set(init.name, { name: init.name, dtype: init.dtype, shape: init.shape });
    values.set(init.name, init);
  }
  const lookup: ShapeLookup = { info: (n) => infos.get(n), value: (n) => values.get(n) };
  out.nodes = [];
  for (const node of graph.nodes) {
    const outs = inferNode(node, lookup);
    for (const info of outs) if (info.name !== '') infos.set(info.name, info);
    const folded = graph.outputs.some((o) => node.outputs.includes(o))
      ? undefined
      : evaluateConstant(node, outs, lookup);
    if (!folded) {
      out.nodes.push(node);
      continue;
    }
    folded.forEach((value, i) => {
      const name = node.outputs[i] ?? '';
      if (name === '') return;
      const init: Initializer = { name, dtype: value.dtype, shape: [...value.shape], data: value.data };
      values.set(name, init);
      out.initializers.push(init);
    });
  }
  return out;
}

/** The node's output values when they are known before run time (undefined otherwise). */
export function evaluateConstant(
  node: GraphNode,
  outs: TensorInfo[],
  lookup: ShapeLookup,
): TensorValue[] | undefined {
  if (NEVER_FOLD.has(node.op)) return undefined;
  const kernel = KERNELS[node.op];
  if (!kernel) return undefined;
  if (node.op === 'Shape') {
    // Only the input's shape matters, and inference already knows it.
    const source = lookup.info(node.inputs[0] ?? '');
    if (!source) return undefined;
    return kernel(node, [{ dtype: source.dtype, shape: source.shape, data: new Float32Array(0) }], outs);
  }
  const args = node.inputs.map((n) => (n === '' ? undefined : lookup.value(n)));
  if (args.some((a, i) => a === undefined && node.inputs[i] !== '')) return undefined;
  return kernel(node, args, outs);
}
