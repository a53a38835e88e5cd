import { SlicetuneError } from '../../util/errors.js';
import type { GraphNode, TensorInfo, TensorValue } from '../ir.js';
import type { RuleInputs } from '../shape-params.js';

/**
 * A CPU kernel: the node, its input values (undefined for an optional input left out) and the
 * inferred infos of its outputs; returns one value per output.
 */
export type Kernel = (
  node: GraphNode,
  inputs: (TensorValue | undefined)[],
  outs: TensorInfo[],
) => TensorValue[];

/** Lets a kernel reuse the shape rules' parameter parsing (slice bounds, split sizes ...). */
export function ruleInputsOf(node: GraphNode, inputs: (TensorValue | undefined)[]): RuleInputs {
  return {
    node,
    shapes: inputs.map((v) => v?.shape),
    dtypes: inputs.map((v) => v?.dtype),
    value: (i) => inputs[i],
  };
}

export function input(node: GraphNode, inputs: (TensorValue | undefined)[], i: number): TensorValue {
  const v = inputs[i];
  if (!v) throw new SlicetuneError('INTERNAL', `node '${node.name}' (${node.op}): input ${i} has no value`);
  return v;
}

export function outInfo(outs: TensorInfo[], i = 0): TensorInfo {
  const o = outs[i];
  if (!o) throw new SlicetuneError('INTERNAL', `output ${i} has no inferred info`);
  return o;
}
