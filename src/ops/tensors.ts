/** The tensors of a workload in canonical argument order: kernels and references share it. */

import type { KernelArg } from '../gpu/types.js';
import { elementsOf } from '../util/shape.js';
import { conv2dOutput } from './conv2d.js';
import { channelTensorNames } from './epilogue.js';
import type { Workload } from './types.js';

export interface TensorSpec {
  name: string;
  shape: number[];
  role: 'input' | 'output';
}

export function outputShape(w: Workload): number[] {
  switch (w.op) {
    case 'conv2d': {
      const { oh, ow } = conv2dOutput(w.shape);
      return [w.shape.n, w.shape.k, oh, ow];
    }
    case 'dense':
      return [w.shape.m, w.shape.n];
    case 'batch_matmul':
      return [w.shape.b, w.shape.m, w.shape.n];
  }
}

/** Output channels: the length of the per-channel epilogue tensors (conv K, matmul N). */
export function outputChannels(w: Workload): number {
  return w.op === 'conv2d' ? w.shape.k : w.shape.n;
}

function mainInputs(w: Workload): TensorSpec[] {
  switch (w.op) {
    case 'conv2d': {
      const s = w.shape;
      return [
        { name: 'data', shape: [s.n, s.c, s.h, s.w], role: 'input' },
        { name: 'weight', shape: [s.k, s.c / s.groups, s.r, s.s], role: 'input' },
      ];
    }
    case 'dense':
      return [
        { name: 'x', shape: [w.shape.m, w.shape.k], role: 'input' },
        { name: 'weight', shape: [w.shape.n, w.shape.k], role: 'input' },
      ];
    case 'batch_matmul': {
      const s = w.shape;
      return [
        { name: 'a', shape: [s.b, s.m, s.k], role: 'input' },
        { name: 'b', shape: s.transB ? [s.b, s.n, s.k] : [s.b, s.k, s.n], role: 'input' },
      ];
    }
  }
}

/** Main inputs, then scale, shift, bias, residual as the epilogue asks, then `out`. */
export function tensorSpecs(w: Workload): TensorSpec[] {
  const out = outputShape(w);
  const specs = mainInputs(w);
  for (const name of channelTensorNames(w.epilogue)) {
    specs.push({ name, shape: [outputChannels(w)], role: 'input' });
  }
  if (w.epilogue.residual) specs.push({ name: 'residual', shape: [...out], role: 'input' });
  specs.push({ name: 'out', shape: out, role: 'output' });
  return specs;
}

export { elementsOf };

export function kernelArgs(w: Workload): KernelArg[] {
  return tensorSpecs(w).map((t) => ({
    kind: 'buffer',
    name: t.name,
    dtype: 'f32',
    elements: elementsOf(t.shape),
    role: t.role,
  }));
}
