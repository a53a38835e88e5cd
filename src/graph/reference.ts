/**
 * The CPU reference executor: runs a whole graph (raw or lowered) node by node in float32
 * storage with float64 sums. It is the reference path every zoo model runs through in CI, and
 * what a tuned model's output is checked against where no onnxruntime reference exists.
 */

import { SlicetuneError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { describeNode, type Graph, numel, type TensorInfo, type TensorValue } from './ir.js';
import { KERNELS } from './kernels/index.js';
import { validateGraph } from './validate.js';

export interface ReferenceOptions {
  /** Called after each node with its outputs (for debugging and for comparing passes). */
  onNode?: (nodeName: string, outputs: TensorValue[]) => void;
}

/** Runs the graph on the given inputs (f32 data by input name); returns the graph outputs by name. */
export function runReference(
  graph: Graph,
  inputs: Record<string, Float32Array>,
  options: ReferenceOptions = {},
): Record<string, TensorValue> {
  const infos = validateGraph(graph);
  const values = new Map<string, TensorValue>();
  for (const init of graph.initializers) values.set(init.name, init);
  for (const info of graph.inputs) values.set(info.name, graphInput(graph, info, inputs[info.name]));
  // Free each activation after its last reader, so big models stay within memory.
  const readsLeft = new Map<string, number>();
  for (const node of graph.nodes) for (const i of node.inputs) readsLeft.set(i, (readsLeft.get(i) ?? 0) + 1);
  const keep = new Set([...graph.outputs, ...graph.initializers.map((i) => i.name)]);
  for (const node of graph.nodes) {
    const kernel = KERNELS[node.op];
    if (!kernel) throw new SlicetuneError('UNSUPPORTED_OP', `${describeNode(node)}: no reference kernel`);
    const args = node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
    const outs = node.outputs.map((name) => infos.get(name) ?? { name, dtype: 'f32' as const, shape: [] });
    const results = kernel(node, args, outs);
    node.outputs.forEach((name, i) => {
      const r = results[i];
      if (name !== '' && r) values.set(name, r);
    });
    options.onNode?.(node.name, results);
    for (const name of node.inputs) {
      const left = (readsLeft.get(name) ?? 1) - 1;
      readsLeft.set(name, left);
      if (left === 0 && !keep.has(name)) values.delete(name);
    }
  }
  const result: Record<string, TensorValue> = {};
  for (const name of graph.outputs) {
    const v = values.get(name);
    if (!v) throw new SlicetuneError('BAD_MODEL', `graph '${graph.name}': output '${name}' was not computed`);
    result[name] = v;
  }
  return result;
}

function graphInput(graph: Graph, info: TensorInfo, data: Float32Array | undefined): TensorValue {
  if (!data)
    throw new SlicetuneError('BAD_OPTION', `graph '${graph.name}': no data for input '${info.name}'`);
  if (data.length !== numel(info.shape)) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `graph '${graph.name}': input '${info.name}' has ${data.length} values, its shape [${info.shape}] needs ${numel(info.shape)}`,
    );
  }
  return { dtype: info.dtype, shape: info.shape, data };
}

/** Seeded inputs for every graph input: standard-normal values, like a normalized image. */
export function randomGraphInputs(graph: Graph, seed = 1): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const inputs: Record<string, Float32Array> = {};
  for (const info of graph.inputs) {
    const data = new Float32Array(numel(info.shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    inputs[info.name] = data;
  }
  return inputs;
}
