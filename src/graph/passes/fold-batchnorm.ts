/**
 * Folds an inference-mode BatchNormalization into the Conv before it, when that Conv's output
 * feeds only the BN and all parameters are constants:
 *   s = gamma / sqrt(var + eps);  W'[k] = W[k] * s[k];  b'[k] = (b[k] - mean[k]) * s[k] + beta[k].
 */
import { attrFloat, consumersOf, freshName, type Graph, type GraphNode, namesInUse } from '../ir.js';
import { constantOf, copyGraph, soleConsumer, spliceNodes } from './util.js';

export function foldBatchNorm(graph: Graph): Graph {
  const out = copyGraph(graph);
  const taken = namesInUse(graph);
  const consumers = consumersOf(graph);
  for (const conv of graph.nodes) {
    if (conv.op !== 'Conv') continue;
    const convOut = conv.outputs[0] ?? '';
    const bn = soleConsumer(graph, consumers, convOut);
    if (bn?.op !== 'BatchNormalization' || bn.inputs[0] !== convOut) continue;
    if (bn.outputs.slice(1).some((o) => o !== '')) continue;
    const folded = fold(out, conv, bn, taken);
    if (folded) spliceNodes(out, [conv, bn], conv, folded);
  }
  return out;
}

function fold(graph: Graph, conv: GraphNode, bn: GraphNode, taken: Set<string>): GraphNode | undefined {
  const weight = constantOf(graph, conv.inputs[1] ?? '');
  const bias = conv.inputs[2] ? constantOf(graph, conv.inputs[2]) : undefined;
  const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => constantOf(graph, n));
  if (!weight || !gamma || !beta || !mean || !variance || (conv.inputs[2] && !bias)) return undefined;
  const k = weight.shape[0] ?? 0;
  if ([gamma, beta, mean, variance].some((p) => p.data.length !== k)) return undefined;
  const eps = attrFloat(bn, 'epsilon', 1e-5);
  const perK = weight.data.length / k;
  const newWeight = new Float32Array(weight.data.length);
  const newBias = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    const s = (gamma.data[c] as number) / Math.sqrt((variance.data[c] as number) + eps);
    for (let i = 0; i < perK; i++) newWeight[c * perK + i] = (weight.data[c * perK + i] as number) * s;
    const b = bias ? (bias.data[c] as number) : 0;
    newBias[c] = (b - (mean.data[c] as number)) * s + (beta.data[c] as number);
  }
  const weightName = freshName(taken, `${conv.name}.weight_bn`);
  const biasName = freshName(taken, `${conv.name}.bias_bn`);
  graph.initializers.push(
    { name: weightName, dtype: 'f32', shape: [...weight.shape], data: newWeight },
    { name: biasName, dtype: 'f32', shape: [k], data: newBias },
  );
  return {
    ...conv,
    inputs: [conv.inputs[0] ?? '', weightName, biasName],
    outputs: [...bn.outputs.slice(0, 1)],
  };
}
