/**
 * Recognizes the Erf-based GELU that torch.onnx writes below opset 20,
 *   x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5      (or x * 0.5 first, then * (1 + erf)),
 * and replaces it by one Gelu node (opset 20's, approximate = 'none').
 */
import { consumersOf, freshName, type Graph, type GraphNode, namesInUse } from '../ir.js';
import { copyGraph, scalarOf, soleConsumer, spliceNodes } from './util.js';

const near = (v: number | undefined, want: number) =>
  v !== undefined && Math.abs(v - want) < 1e-4 * Math.abs(want);

/** The other input of a two-input node, given one of them. */
function other(node: GraphNode, one: string): string | undefined {
  if (node.inputs.length !== 2) return undefined;
  if (node.inputs[0] === one) return node.inputs[1];
  if (node.inputs[1] === one) return node.inputs[0];
  return undefined;
}

export function fuseGelu(graph: Graph): Graph {
  const out = copyGraph(graph);
  const consumers = consumersOf(graph);
  const taken = namesInUse(graph);
  const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  for (const erf of graph.nodes) {
    if (erf.op !== 'Erf') continue;
    const scale = producers.get(erf.inputs[0] ?? '');
    if (!scale) continue;
    const x = scale.inputs[0] ?? '';
    const isDiv = scale.op === 'Div' && near(scalarOf(graph, scale.inputs[1]), Math.SQRT2);
    const isMul = scale.op === 'Mul' && near(scalarOf(graph, other(scale, x)), Math.SQRT1_2);
    if (!isDiv && !isMul) continue;
    const erfOut = erf.outputs[0] ?? '';
    const plusOne = soleConsumer(graph, consumers, erfOut);
    if (plusOne?.op !== 'Add' || !near(scalarOf(graph, other(plusOne, erfOut)), 1)) continue;
    const onePlus = plusOne.outputs[0] ?? '';
    const times = soleConsumer(graph, consumers, onePlus);
    if (times?.op !== 'Mul') continue;
    const factor = other(times, onePlus) ?? '';
    let last: GraphNode | undefined;
    let matched: GraphNode[] = [];
    const half = producers.get(factor);
    if (factor === x) {
      // (x * (1 + erf)) * 0.5
      const timesOut = times.outputs[0] ?? '';
      const finalMul = soleConsumer(graph, consumers, timesOut);
      if (finalMul?.op === 'Mul' && near(scalarOf(graph, other(finalMul, timesOut)), 0.5)) {
        last = finalMul;
        matched = [scale, erf, plusOne, times, finalMul];
      }
    } else if (
      half?.op === 'Mul' &&
      other(half, x) !== undefined &&
      near(scalarOf(graph, other(half, x)), 0.5)
    ) {
      // (x * 0.5) * (1 + erf): the half product must feed only this GELU.
      if (soleConsumer(graph, consumers, factor) === times) {
        last = times;
        matched = [half, scale, erf, plusOne, times];
      }
    }
    if (!last) continue;
    // The intermediate values must not be read elsewhere.
    if ((consumers.get(scale.outputs[0] ?? '')?.length ?? 0) !== 1) continue;
    const gelu: GraphNode = {
      name: freshName(taken, `${erf.name}/Gelu`),
      op: 'Gelu',
      inputs: [x],
      outputs: [...last.outputs],
      attrs: {},
    };
    spliceNodes(out, matched, last, gelu);
  }
  return out;
}
