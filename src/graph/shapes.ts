/** Shape inference: every tensor of a graph gets its static shape and dtype, or a named error. */
import { SlicetuneError } from '../util/errors.js';
import { describeNode, type Graph, type GraphNode, numel, type TensorInfo, type TensorValue } from './ir.js';
import type { RuleInputs } from './shape-params.js';
import { SHAPE_RULES, SUPPORTED_OPS } from './shape-rules.js';

export interface ShapeLookup {
  info(name: string): TensorInfo | undefined;
  /** Values of constants (initializers and folded tensors); undefined for computed tensors. */
  value(name: string): TensorValue | undefined;
}

export function ruleInputs(node: GraphNode, lookup: ShapeLookup): RuleInputs {
  const infos = node.inputs.map((name) => {
    if (name === '') return undefined;
    const info = lookup.info(name);
    if (!info) {
      throw new SlicetuneError(
        'BAD_MODEL',
        `${describeNode(node)}: input '${name}' is not defined before use`,
      );
    }
    return info;
  });
  return {
    node,
    shapes: infos.map((i) => i?.shape),
    dtypes: infos.map((i) => i?.dtype),
    value: (i) => {
      const name = node.inputs[i];
      return name ? lookup.value(name) : undefined;
    },
  };
}

/** The TensorInfo of each output of one node. */
export function inferNode(node: GraphNode, lookup: ShapeLookup): TensorInfo[] {
  const rule = SHAPE_RULES[node.op];
  if (!rule) {
    throw new SlicetuneError(
      'UNSUPPORTED_OP',
      `${describeNode(node)}: operator '${node.op}' is not supported (supported: ${SUPPORTED_OPS.join(', ')})`,
    );
  }
  const outs = rule(ruleInputs(node, lookup));
  return node.outputs.map((name, i) => {
    const out = outs[i];
    if (!out) {
      if (name === '') return { name, dtype: 'f32', shape: [] };
      throw new SlicetuneError(
        'UNSUPPORTED_OP',
        `${describeNode(node)}: output ${i} ('${name}') is not supported`,
      );
    }
    if (out.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new SlicetuneError('BAD_MODEL', `${describeNode(node)}: cannot resolve the shape of '${name}'`);
    }
    return { name, dtype: out.dtype, shape: out.shape };
  });
}

/** Every tensor's info: graph inputs, initializers and node outputs. Throws on the first bad node. */
export function inferShapes(graph: Graph): Map<string, TensorInfo> {
  const infos = new Map<string, TensorInfo>();
  const values = new Map<string, TensorValue>();
  for (const input of graph.inputs) infos.set(input.name, input);
  for (const init of graph.initializers) {
    infos.set(init.name, { name: init.name, dtype: init.dtype, shape: init.shape });
    values.set(init.name, init);
  }
  const lookup: ShapeLookup = { info: (n) => infos.get(n), value: (n) => values.get(n) };
  for (const node of graph.nodes) {
    for (const info of inferNode(node, lookup)) if (info.name !== '') infos.set(info.name, info);
  }
  return infos;
}

export function infoOf(infos: Map<string, TensorInfo>, name: string): TensorInfo {
  const info = infos.get(name);
  if (!info) throw new SlicetuneError('INTERNAL', `tensor '${name}' has no inferred shape`);
  return info;
}

export function sizeOf(infos: Map<string, TensorInfo>, name: string): number {
  return numel(infoOf(infos, name).shape);
}
