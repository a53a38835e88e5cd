/** conv2d in NCHW / KCRS: workload constructor, output size and the direct CPU loop. */
import { SlicetuneError } from '../util/errors.js';
import { normalizeEpilogue } from './epilogue.js';
import type { Conv2dShape, Epilogue, Workload } from './types.js';
import { requireInt, requireTensorFits } from './validate.js';

export interface Conv2dShapeInput {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  r: number;
  s: number;
  strideH?: number;
  strideW?: number;
  padH?: number;
  padW?: number;
  dilationH?: number;
  dilationW?: number;
  groups?: number;
}

export type Conv2dWorkload = Extract<Workload, { op: 'conv2d' }>;

type OutputInput = Pick<Conv2dShape, 'h' | 'w' | 'r' | 's'> & Partial<Conv2dShape>;

/** Output height and width (PyTorch's formula, floor division). */
export function conv2dOutput(shape: OutputInput): { oh: number; ow: number } {
  const oh = outputExtent(shape.h, shape.r, shape.strideH ?? 1, shape.padH ?? 0, shape.dilationH ?? 1);
  const ow = outputExtent(shape.w, shape.s, shape.strideW ?? 1, shape.padW ?? 0, shape.dilationW ?? 1);
  return { oh, ow };
}

function outputExtent(size: number, kernel: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

export function conv2dWorkload(input: Conv2dShapeInput, epilogue?: Partial<Epilogue>): Conv2dWorkload {
  const op = 'conv2d';
  const shape: Conv2dShape = {
    n: requireInt(op, 'n', input.n, 1),
    c: requireInt(op, 'c', input.c, 1),
    h: requireInt(op, 'h', input.h, 1),
    w: requireInt(op, 'w', input.w, 1),
    k: requireInt(op, 'k', input.k, 1),
    r: requireInt(op, 'r', input.r, 1),
    s: requireInt(op, 's', input.s, 1),
    strideH: requireInt(op, 'strideH', input.strideH ?? 1, 1),
    strideW: requireInt(op, 'strideW', input.strideW ?? 1, 1),
    padH: requireInt(op, 'padH', input.padH ?? 0, 0),
    padW: requireInt(op, 'padW', input.padW ?? 0, 0),
    dilationH: requireInt(op, 'dilationH', input.dilationH ?? 1, 1),
    dilationW: requireInt(op, 'dilationW', input.dilationW ?? 1, 1),
    groups: requireInt(op, 'groups', input.groups ?? 1, 1),
  };
  for (const field of ['c', 'k'] as const) {
    if (shape[field] % shape.groups !== 0) {
      throw new SlicetuneError(
        'BAD_SHAPE',
        `conv2d: ${field}=${shape[field]} is not divisible by groups=${shape.groups}`,
      );
    }
  }
  const { oh, ow } = conv2dOutput(shape);
  if (oh < 1) throw badOutput('h', 'r', 'padH, strideH, dilationH', shape.h, oh);
  if (ow < 1) throw badOutput('w', 's', 'padW, strideW, dilationW', shape.w, ow);
  requireTensorFits(op, 'data', [shape.n, shape.c, shape.h, shape.w]);
  requireTensorFits(op, 'weight', [shape.k, shape.c / shape.groups, shape.r, shape.s]);
  requireTensorFits(op, 'out', [shape.n, shape.k, oh, ow]);
  return { op, dtype: 'f32', shape, epilogue: normalizeEpilogue(epilogue) };
}

function badOutput(size: string, kernel: string, others: string, value: number, out: number): SlicetuneError {
  return new SlicetuneError(
    'BAD_SHAPE',
    `conv2d: ${size}=${value} gives an output size of ${out} with this ${kernel}, ${others}; it must be >= 1`,
  );
}

/** Cap on the im2col buffer (doubles): output pixels are processed in chunks that fit it. */
const COLUMN_BUFFER_ELEMENTS = 1 << 20;

/**
 * Direct convolution with float64 accumulators, laid out [n][k][oh][ow]. For each image and
 * group, a chunk of output pixels gets its receptive fields copied into rows (im2col, zeros for the
 * padding); each output is then one dot product of a weight row with a field row. The dot products
 * keep their sum in a register, which keeps a ResNet-18 layer at batch 1 to a few hundred ms.
 */
export function conv2dAccumulate(shape: Conv2dShape, data: Float32Array, weight: Float32Array): Float64Array {
  const { n, c, k, r, s, groups } = shape;
  const { oh, ow } = conv2dOutput(shape);
  const pixels = oh * ow;
  const field = (c / groups) * r * s;
  const kg = k / groups;
  const chunk = Math.max(1, Math.min(pixels, Math.floor(COLUMN_BUFFER_ELEMENTS / field)));
  const cols = new Float64Array(chunk * field);
  const weights = Float64Array.from(weight);
  const acc = new Float64Array(n * k * pixels);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      for (let p0 = 0; p0 < pixels; p0 += chunk) {
        const count = Math.min(chunk, pixels - p0);
        fillFields(shape, ow, data, cols, { b, g, p0, count });
        fieldDots(
          weights,
          cols,
          acc,
          { k0: g * kg, k1: (g + 1) * kg, field, count },
          (ko) => (b * k + ko) * pixels + p0,
        );
      }
    }
  }
  return acc;
}

/**
 * acc[outBase(ko) + pi] = weights[ko] . cols[pi] for ko in [k0, k1): four output channels at a
 * time, so each field value loaded feeds four sums held in registers.
 */
function fieldDots(
  weights: Float64Array,
  cols: Float64Array,
  acc: Float64Array,
  range: { k0: number; k1: number; field: number; count: number },
  outBase: (ko: number) => number,
): void {
  const { k0, k1, field, count } = range;
  let ko = k0;
  for (; ko + 4 <= k1; ko += 4) {
    const w0 = ko * field;
    const w1 = w0 + field;
    const w2 = w1 + field;
    const w3 = w2 + field;
    const o0 = outBase(ko);
    const o1 = outBase(ko + 1);
    const o2 = outBase(ko + 2);
    const o3 = outBase(ko + 3);
    for (let pi = 0; pi < count; pi++) {
      const cOff = pi * field;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let l = 0; l < field; l++) {
        const x = cols[cOff + l] as number;
        s0 += (weights[w0 + l] as number) * x;
        s1 += (weights[w1 + l] as number) * x;
        s2 += (weights[w2 + l] as number) * x;
        s3 += (weights[w3 + l] as number) * x;
      }
      acc[o0 + pi] = s0;
      acc[o1 + pi] = s1;
      acc[o2 + pi] = s2;
      acc[o3 + pi] = s3;
    }
  }
  for (; ko < k1; ko++) {
    const wOff = ko * field;
    const o = outBase(ko);
    for (let pi = 0; pi < count; pi++) {
      const cOff = pi * field;
      let sum = 0;
      for (let l = 0; l < field; l++) sum += (weights[wOff + l] as number) * (cols[cOff + l] as number);
      acc[o + pi] = sum;
    }
  }
}

/** cols[pi][ci][ry][rx] = data[b][g*C/groups + ci][iy][ix], or 0 where (iy, ix) is padding. */
function fillFields(
  shape: Conv2dShape,
  ow: number,
  data: Float32Array,
  cols: Float64Array,
  at: { b: number; g: number; p0: number; count: number },
): void {
  const { c, h, w, r, s, groups } = shape;
  const cg = c / groups;
  let i = 0;
  for (let pi = 0; pi < at.count; pi++) {
    const p = at.p0 + pi;
    const oy = Math.floor(p / ow);
    const ox = p - oy * ow;
    for (let ci = 0; ci < cg; ci++) {
      const plane = (at.b * c + at.g * cg + ci) * h * w;
      for (let ry = 0; ry < r; ry++) {
        const iy = oy * shape.strideH - shape.padH + ry * shape.dilationH;
        const rowInside = iy >= 0 && iy < h;
        for (let rx = 0; rx < s; rx++) {
          const ix = ox * shape.strideW - shape.padW + rx * shape.dilationW;
          cols[i++] = rowInside && ix >= 0 && ix < w ? (data[plane + iy * w + ix] as number) : 0;
        }
      }
    }
  }
}
