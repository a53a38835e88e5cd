/** Conv and pooling attributes read the ONNX way (defaults, pads as [top, left, bottom, right]). */
import type { Conv2dShape } from '../ops/types.js';
import { SlicetuneError } from '../util/errors.js';
import { attrInt, attrInts, attrString, describeNode, type GraphNode } from './ir.js';
import { windowOut } from './shape-util.js';

export interface Window2d {
  kernel: [number, number];
  strides: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  dilations: [number, number];
}

/** Reads kernel_shape / strides / pads / dilations / auto_pad for a 2-D window over an HxW input. */
export function window2d(node: GraphNode, h: number, w: number, kernelFallback?: [number, number]): Window2d {
  const kernel = attrInts(node, 'kernel_shape', kernelFallback);
  if (kernel?.length !== 2) {
    throw new SlicetuneError('UNSUPPORTED_OP', `${describeNode(node)}: only 2-D windows are supported`);
  }
  const strides = attrInts(node, 'strides', [1, 1]) ?? [1, 1];
  const dilations = attrInts(node, 'dilations', [1, 1]) ?? [1, 1];
  let pads = attrInts(node, 'pads', [0, 0, 0, 0]) ?? [0, 0, 0, 0];
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = samePads([h, w], kernel, strides, dilations, autoPad === 'SAME_UPPER');
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (autoPad !== 'NOTSET') {
    throw new SlicetuneError('BAD_MODEL', `${describeNode(node)}: unknown auto_pad '${autoPad}'`);
  }
  if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4) {
    throw new SlicetuneError('UNSUPPORTED_OP', `${describeNode(node)}: only 2-D windows are supported`);
  }
  return {
    kernel: [kernel[0] ?? 1, kernel[1] ?? 1],
    strides: [strides[0] ?? 1, strides[1] ?? 1],
    pads: [pads[0] ?? 0, pads[1] ?? 0, pads[2] ?? 0, pads[3] ?? 0],
    dilations: [dilations[0] ?? 1, dilations[1] ?? 1],
  };
}

function samePads(
  size: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  upper: boolean,
): number[] {
  const begin: number[] = [];
  const end: number[] = [];
  size.forEach((s, i) => {
    const stride = strides[i] ?? 1;
    const span = ((kernel[i] ?? 1) - 1) * (dilations[i] ?? 1) + 1;
    const out = Math.ceil(s / stride);
    const total = Math.max(0, (out - 1) * stride + span - s);
    const small = Math.floor(total / 2);
    begin.push(upper ? small : total - small);
    end.push(upper ? total - small : small);
  });
  return [...begin, ...end];
}

/** The Conv2dShape of an ONNX Conv node with data shape x (NCHW) and weight shape wt (KCRS). */
export function convShape(node: GraphNode, x: readonly number[], wt: readonly number[]): Conv2dShape {
  if (x.length !== 4 || wt.length !== 4) {
    throw new SlicetuneError(
      'UNSUPPORTED_OP',
      `${describeNode(node)}: only 2-D convolutions (4-D data and weight) are supported, got data [${x}] and weight [${wt}]`,
    );
  }
  const [n = 0, c = 0, h = 0, w = 0] = x;
  const [k = 0, cPerGroup = 0, r = 0, s = 0] = wt;
  const groups = attrInt(node, 'group', 1);
  if (c !== cPerGroup * groups || k % groups !== 0) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${describeNode(node)}: data [${x}] and weight [${wt}] do not agree with group = ${groups}`,
    );
  }
  const win = window2d(node, h, w, [r, s]);
  if (win.kernel[0] !== r || win.kernel[1] !== s) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${describeNode(node)}: kernel_shape ${win.kernel} != weight [${wt}]`,
    );
  }
  if (win.pads[0] !== win.pads[2] || win.pads[1] !== win.pads[3]) {
    throw new SlicetuneError(
      'UNSUPPORTED_OP',
      `${describeNode(node)}: asymmetric padding [${win.pads}] is not supported by conv2d workloads`,
    );
  }
  return {
    n,
    c,
    h,
    w,
    k,
    r,
    s,
    strideH: win.strides[0],
    strideW: win.strides[1],
    padH: win.pads[0],
    padW: win.pads[1],
    dilationH: win.dilations[0],
    dilationW: win.dilations[1],
    groups,
  };
}

export function convOutShape(shape: Conv2dShape): [number, number, number, number] {
  const oh = windowOut(shape.h, shape.r, shape.strideH, shape.padH, shape.padH, shape.dilationH);
  const ow = windowOut(shape.w, shape.s, shape.strideW, shape.padW, shape.padW, shape.dilationW);
  return [shape.n, shape.k, oh, ow];
}
