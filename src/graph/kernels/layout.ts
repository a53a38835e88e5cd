/** Layout kernels: reshape-like views, transpose, concat, split, slice, and the shape-chain ops. */
import { attrInt, newData, numel, type TensorValue } from '../ir.js';
import { permOf, sliceParams } from '../shape-params.js';
import { normalizeAxis, stridesOf } from '../shape-util.js';
import { input, type Kernel, outInfo, ruleInputsOf } from './types.js';

/** Reshape, Flatten, Squeeze, Unsqueeze: same data, new shape (inputs are never mutated). */
const view: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  return [{ dtype: x.dtype, shape: outInfo(outs).shape, data: x.data }];
};

/** Copies the strided box `count` starting at `start` (steps `step`) of x into a dense array. */
function gatherBox(
  x: TensorValue,
  start: number[],
  step: number[],
  count: number[],
  perm?: number[],
): TensorValue {
  const rank = x.shape.length;
  const inStrides = stridesOf(x.shape);
  const order = perm ?? Array.from({ length: rank }, (_, i) => i);
  const outShape = order.map((p) => count[p] ?? 1);
  const out = newData(x.dtype, numel(outShape));
  // Walk the output in row-major order; axis i of the output is axis order[i] of the input.
  const strides = order.map((p) => (inStrides[p] ?? 0) * (step[p] ?? 1));
  let offset = start.reduce((acc, s, i) => acc + s * (inStrides[i] ?? 0), 0);
  const counter = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const innerLen = outShape[last] ?? 1;
  const innerStride = strides[last] ?? 0;
  for (let o = 0; o < out.length; o += innerLen) {
    for (let i = 0; i < innerLen; i++) out[o + i] = x.data[offset + i * innerStride] as number;
    for (let d = last - 1; d >= 0; d--) {
      const c = (counter[d] ?? 0) + 1;
      if (c < (outShape[d] ?? 1)) {
        counter[d] = c;
        offset += strides[d] ?? 0;
        break;
      }
      counter[d] = 0;
      offset -= (c - 1) * (strides[d] ?? 0);
    }
  }
  return { dtype: x.dtype, shape: outShape, data: out };
}

const transpose: Kernel = (node, inputs) => {
  const x = input(node, inputs, 0);
  const perm = permOf(node, x.shape.length);
  const zeros = x.shape.map(() => 0);
  const ones = x.shape.map(() => 1);
  return [gatherBox(x, zeros, ones, [...x.shape], perm)];
};

const slice: Kernel = (node, inputs) => {
  const x = input(node, inputs, 0);
  const { start, step, count } = sliceParams(ruleInputsOf(node, inputs));
  return [gatherBox(x, start, step, count)];
};

const split: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.shape.length);
  const ones = x.shape.map(() => 1);
  let offset = 0;
  return outs.map((info) => {
    const start = x.shape.map((_, i) => (i === axis ? offset : 0));
    offset += info.shape[axis] ?? 0;
    return gatherBox(x, start, ones, info.shape);
  });
};

const concat: Kernel = (node, inputs, outs) => {
  const info = outInfo(outs);
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), info.shape.length);
  const outer = numel(info.shape.slice(0, axis));
  const rowOut = numel(info.shape.slice(axis));
  const out = newData(info.dtype, numel(info.shape));
  let col = 0;
  for (let i = 0; i < node.inputs.length; i++) {
    const x = input(node, inputs, i);
    const row = numel(x.shape.slice(axis));
    for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * row, (o + 1) * row), o * rowOut + col);
    col += row;
  }
  return [{ dtype: info.dtype, shape: info.shape, data: out }];
};

const shape: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const start = attrInt(node, 'start', 0);
  const end = attrInt(node, 'end', x.shape.length);
  return [{ dtype: 'i64', shape: outInfo(outs).shape, data: Float64Array.from(x.shape.slice(start, end)) }];
};

const gather: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const indices = input(node, inputs, 1).data;
  const info = outInfo(outs);
  const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.shape.length);
  const dim = x.shape[axis] ?? 1;
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const out = newData(info.dtype, numel(info.shape));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const rawIndex of indices) {
      const idx = rawIndex < 0 ? rawIndex + dim : rawIndex;
      const base = (a * dim + idx) * inner;
      for (let i = 0; i < inner; i++) out[o++] = x.data[base + i] as number;
    }
  }
  return [{ dtype: info.dtype, shape: info.shape, data: out }];
};

export const LAYOUT_KERNELS: Record<string, Kernel> = {
  Reshape: view,
  Flatten: view,
  Squeeze: view,
  Unsqueeze: view,
  Transpose: transpose,
  Slice: slice,
  Split: split,
  Concat: concat,
  Shape: shape,
  Gather: gather,
};
