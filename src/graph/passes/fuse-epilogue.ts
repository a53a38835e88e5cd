/**
 * Fuses the work after a tunable node into its epilogue, repeatedly, while the node's output has
 * one reader: an Add of a per-channel constant (bias), an Add of a same-shaped tensor (residual),
 * then Relu or Clip(0, 6) (relu6). The order matches ops/types.ts: bias, residual, activation,
 * so nothing is fused after an activation. When both operands of an Add come from fusable nodes,
 * the residual goes into the producer of the Add's first operand (torchvision's `out += identity`
 * puts the main path first). The fused node takes the place of the last node it absorbed, so its
 * residual input is always computed before it.
 */
import { batchMatmulWorkload, conv2dWorkload, denseWorkload } from '../../ops/index.js';
import type { Activation, Epilogue, Workload } from '../../ops/types.js';
import {
  consumersOf,
  freshName,
  type Graph,
  type GraphNode,
  isTunable,
  namesInUse,
  numel,
  type TensorInfo,
} from '../ir.js';
import { inferShapes } from '../shapes.js';
import { constantOf, copyGraph, scalarOf, soleConsumer, spliceNodes } from './util.js';

export function fuseEpilogues(graph: Graph): Graph {
  let out = copyGraph(graph);
  for (let changed = true; changed; ) {
    changed = false;
    const infos = inferShapes(out);
    const consumers = consumersOf(out);
    for (const node of out.nodes) {
      if (!isTunable(node)) continue;
      const reader = soleConsumer(out, consumers, node.outputs[0] ?? '');
      const fused = reader && absorb(out, infos, consumers, node, reader);
      if (!reader || !fused) continue;
      out = copyGraph(out);
      spliceNodes(out, [node, reader], reader, fused);
      changed = true;
      break;
    }
  }
  return out;
}

type Fusable = GraphNode & { workload: Workload };

function absorb(
  graph: Graph,
  infos: Map<string, TensorInfo>,
  consumers: Map<string, GraphNode[]>,
  node: Fusable,
  reader: GraphNode,
): GraphNode | undefined {
  const e = node.workload.epilogue;
  if (e.activation !== 'none') return undefined;
  const mine = node.outputs[0] ?? '';
  if (reader.op === 'Relu') return withEpilogue(node, reader, { activation: 'relu' });
  if (reader.op === 'Clip') {
    const activation = clipActivation(graph, reader);
    return activation ? withEpilogue(node, reader, { activation }) : undefined;
  }
  if (reader.op !== 'Add' || reader.inputs.length !== 2) return undefined;
  const otherName = reader.inputs[0] === mine ? reader.inputs[1] : reader.inputs[0];
  if (!otherName) return undefined;
  const outShape = infos.get(mine)?.shape ?? [];
  const otherShape = infos.get(otherName)?.shape ?? [];
  const channels = node.workload.op === 'conv2d' ? node.workload.shape.k : node.workload.shape.n;
  if (!e.bias && constantOf(graph, otherName) && isPerChannel(node.workload, otherShape, channels)) {
    const inputs = [...node.inputs];
    // The bias goes before a residual input, as tensorSpecs orders them.
    inputs.splice(e.residual ? inputs.length - 1 : inputs.length, 0, flatBias(graph, otherName, channels));
    return withEpilogue(node, reader, { bias: true }, inputs);
  }
  if (e.residual || otherShape.join() !== outShape.join()) return undefined;
  if (reader.inputs[0] === otherName && fusableProducer(graph, consumers, otherName)) return undefined;
  return withEpilogue(node, reader, { residual: true }, [...node.inputs, otherName]);
}

/** Broadcasts along the channel axis only: conv [k,1,1] / [1,k,1,1]; matmuls [n] / [1,..,n]. */
function isPerChannel(w: Workload, shape: number[], channels: number): boolean {
  if (numel(shape) !== channels) return false;
  if (w.op !== 'conv2d') return shape.length === 0 ? channels === 1 : shape[shape.length - 1] === channels;
  return (shape.length === 3 && shape[0] === channels) || (shape.length === 4 && shape[1] === channels);
}

/** The bias as a 1-D [channels] constant (a conv's Add constant is [k, 1, 1]). */
function flatBias(graph: Graph, name: string, channels: number): string {
  const c = constantOf(graph, name);
  if (!c || c.shape.length === 1) return name;
  const flat = freshName(namesInUse(graph), `${name}.flat`);
  graph.initializers.push({ name: flat, dtype: c.dtype, shape: [channels], data: c.data });
  return flat;
}

function fusableProducer(graph: Graph, consumers: Map<string, GraphNode[]>, tensor: string): boolean {
  const producer = graph.nodes.find((n) => n.outputs.includes(tensor));
  if (!producer || !isTunable(producer)) return false;
  const e = producer.workload.epilogue;
  return !e.residual && e.activation === 'none' && soleConsumer(graph, consumers, tensor) !== undefined;
}

function clipActivation(graph: Graph, clip: GraphNode): Activation | undefined {
  const [, lo, hi] = clip.inputs;
  const min = lo ? scalarOf(graph, lo) : Number.NEGATIVE_INFINITY;
  const max = hi ? scalarOf(graph, hi) : Number.POSITIVE_INFINITY;
  if (min !== 0) return undefined;
  if (max === 6) return 'relu6';
  return max === Number.POSITIVE_INFINITY ? 'relu' : undefined;
}

function withEpilogue(
  node: Fusable,
  reader: GraphNode,
  change: Partial<Epilogue>,
  inputs = node.inputs,
): GraphNode {
  const epilogue = { ...node.workload.epilogue, ...change };
  const w = node.workload;
  const workload: Workload =
    w.op === 'conv2d'
      ? conv2dWorkload(w.shape, epilogue)
      : w.op === 'dense'
        ? denseWorkload(w.shape, epilogue)
        : batchMatmulWorkload(w.shape, epilogue);
  return { ...node, inputs: [...inputs], outputs: [...reader.outputs], workload };
}
