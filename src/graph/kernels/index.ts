/** Every CPU kernel of the reference path, by op. Tunable nodes run the ops layer's cpuReference. */
import { cpuReference, tensorSpecs } from '../../ops/index.js';
import { SlicetuneError } from '../../util/errors.js';
import { describeNode } from '../ir.js';
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { LAYOUT_KERNELS } from './layout.js';
import { LINALG_KERNELS } from './linalg.js';
import { NN_KERNELS } from './nn.js';
import { input, type Kernel, outInfo } from './types.js';

export type { Kernel } from './types.js';

/** A tunable node: its inputs are the workload's input tensors in tensorSpecs order. */
const tunable: Kernel = (node, inputs, outs) => {
  const w = node.workload;
  if (!w) throw new SlicetuneError('BAD_MODEL', `${describeNode(node)}: a tunable node needs its workload`);
  const named: Record<string, Float32Array> = {};
  const specs = tensorSpecs(w).filter((t) => t.role === 'input');
  specs.forEach((spec, i) => {
    const data = input(node, inputs, i).data;
    named[spec.name] = data instanceof Float32Array ? data : Float32Array.from(data);
  });
  const info = outInfo(outs);
  return [{ dtype: 'f32', shape: info.shape, data: cpuReference(w, named) }];
};

export const KERNELS: Record<string, Kernel> = {
  ...ELEMENTWISE_KERNELS,
  ...NN_KERNELS,
  ...LAYOUT_KERNELS,
  ...LINALG_KERNELS,
  conv2d: tunable,
  dense: tunable,
  batch_matmul: tunable,
};
