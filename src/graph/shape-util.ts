/** Small shape helpers shared by shape inference, the passes and the reference kernels. */
import { SlicetuneError } from '../util/errors.js';
import type { GraphNode } from './ir.js';
import { describeNode } from './ir.js';

export { broadcastShapes, stridesOf } from '../util/shape.js';

/** A possibly negative axis made non-negative, checked against the rank. */
export function normalizeAxis(node: GraphNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${describeNode(node)}: axis ${axis} is out of range for rank ${rank}`,
    );
  }
  return a;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Output extent of a sliding window (conv or pool) along one axis. */
export function windowOut(
  size: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceilMode = false,
): number {
  const span = (kernel - 1) * dilation + 1;
  const room = size + padBegin + padEnd - span;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  // ONNX / PyTorch: the last window must start inside the input or its left padding.
  if (ceilMode && (out - 1) * stride >= size + padBegin) out--;
  return out;
}
