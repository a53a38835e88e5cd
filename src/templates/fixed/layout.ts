/**
 * Layout fixed kernels, all one strided copy: dst[map 1 (i)] = src[map 0 (i)] for every i of an
 * iteration shape. Transpose and slice (and split, a slice per piece) iterate over their output
 * and gather; concat iterates over each input and scatters it into its place in the output.
 */

import type { KernelSource } from '../../gpu/types.js';
import { SlicetuneError } from '../../util/errors.js';
import { stridesOf } from '../../util/shape.js';
import {
  bufferArg,
  coalesce,
  decodeC,
  elementsOf,
  fixedKernel,
  gridStrideBlocks,
  gridStrideLoop,
  type IterationSpace,
  offsetC,
  streamingModel,
} from './common.js';

/** A copy over an iteration space whose map 0 reads `x` and map 1 writes `out`. */
function stridedCopy(
  op: string,
  params: unknown,
  space: IterationSpace,
  inElements: number,
  outElements: number,
): KernelSource {
  const total = elementsOf(space.shape);
  const body = `${decodeC(space, 'idx')} p_out[${offsetC(space, 1)}] = p_x[${offsetC(space, 0)}];`;
  return fixedKernel({
    op,
    params,
    args: [bufferArg('x', inElements, 'input'), bufferArg('out', outElements, 'output')],
    body: gridStrideLoop(total, body),
    grid: gridStrideBlocks(total),
    model: streamingModel(8 * total, 0),
  });
}

function checkShape(what: string, shape: readonly number[]): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `fixed kernels: ${what} of shape [${shape}] (every extent must be >= 1)`,
    );
  }
}

/** The space of a transpose: over the output, reading the input through the permuted strides. */
export function transposeSpace(shape: readonly number[], perm: readonly number[]): IterationSpace {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== shape.length || sorted.some((p, i) => p !== i)) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `fixed kernels: perm [${perm}] is not a permutation of rank ${shape.length}`,
    );
  }
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p] ?? 1);
  return coalesce(outShape, [
    { strides: perm.map((p) => inStrides[p] ?? 0), offset: 0 },
    { strides: stridesOf(outShape), offset: 0 },
  ]);
}

export function transposeKernel(shape: readonly number[], perm: readonly number[]): KernelSource {
  checkShape('transpose', shape);
  const n = elementsOf(shape);
  return stridedCopy('transpose', { shape, perm }, transposeSpace(shape, perm), n, n);
}

export interface SliceBox {
  /** Per axis of the input: first index, step (may be negative) and element count. */
  start: number[];
  step: number[];
  count: number[];
}

/** The space of a slice: over the output box, reading the input at start + i * step per axis. */
export function sliceSpace(shape: readonly number[], box: SliceBox): IterationSpace {
  const inStrides = stridesOf(shape);
  const ok = shape.every((d, i) => {
    const c = box.count[i] ?? 0;
    const first = box.start[i] ?? -1;
    const last = first + (c - 1) * (box.step[i] ?? 0);
    return c >= 1 && first >= 0 && first < d && last >= 0 && last < d;
  });
  if (!ok || box.start.length !== shape.length) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `fixed kernels: slice ${JSON.stringify(box)} does not fit [${shape}]`,
    );
  }
  const offset = box.start.reduce((acc, s, i) => acc + s * (inStrides[i] ?? 0), 0);
  return coalesce(box.count, [
    { strides: box.step.map((s, i) => s * (inStrides[i] ?? 0)), offset },
    { strides: stridesOf(box.count), offset: 0 },
  ]);
}

export function sliceKernel(shape: readonly number[], box: SliceBox): KernelSource {
  checkShape('slice', shape);
  return stridedCopy(
    'slice',
    { shape, ...box },
    sliceSpace(shape, box),
    elementsOf(shape),
    elementsOf(box.count),
  );
}

/** One slice kernel per piece of a split along `axis` (sizes sum to the axis' extent). */
export function splitKernels(
  shape: readonly number[],
  axis: number,
  sizes: readonly number[],
): KernelSource[] {
  if (sizes.reduce((a, b) => a + b, 0) !== shape[axis]) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `fixed kernels: split sizes [${sizes}] do not cover axis ${axis} of [${shape}]`,
    );
  }
  let offset = 0;
  return sizes.map((size) => {
    const start = shape.map((_, i) => (i === axis ? offset : 0));
    const count = shape.map((d, i) => (i === axis ? size : d));
    offset += size;
    return sliceKernel(shape, { start, step: shape.map(() => 1), count });
  });
}

/** The space of concat piece `index`: over that input, writing into its place along `axis`. */
export function concatSpace(
  shapes: readonly (readonly number[])[],
  axis: number,
  index: number,
): IterationSpace {
  const first = shapes[0] ?? [];
  const fits = shapes.every(
    (s) => s.length === first.length && s.every((d, i) => i === axis || d === first[i]),
  );
  if (!fits || axis < 0 || axis >= first.length) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `fixed kernels: cannot concatenate ${JSON.stringify(shapes)} on axis ${axis}`,
    );
  }
  const outShape = first.map((d, i) => (i === axis ? shapes.reduce((a, s) => a + (s[axis] ?? 0), 0) : d));
  const outStrides = stridesOf(outShape);
  const before = shapes.slice(0, index).reduce((a, s) => a + (s[axis] ?? 0), 0);
  const piece = shapes[index] ?? [];
  return coalesce(piece, [
    { strides: stridesOf(piece), offset: 0 },
    { strides: outStrides, offset: before * (outStrides[axis] ?? 0) },
  ]);
}

/** One kernel per input of a concat; each writes its own part of the output. */
export function concatKernels(shapes: readonly (readonly number[])[], axis: number): KernelSource[] {
  for (const s of shapes) checkShape('concat input', s);
  const outElements = shapes.reduce((a, s) => a + elementsOf(s), 0);
  return shapes.map((piece, index) =>
    stridedCopy(
      'concat',
      { shapes, axis, index },
      concatSpace(shapes, axis, index),
      elementsOf(piece),
      outElements,
    ),
  );
}
