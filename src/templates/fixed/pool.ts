/**
 * Pooling fixed kernels on NCHW. Max/average pooling: one thread per output element, the window
 * clipped to the image tap by tap (padding never read), average divided as PyTorch and ONNX do
 * (count_include_pad: the window clipped to the padded image; else the taps inside the image).
 * Global average pooling is a row reduction (rows.ts): one warp per (n, c) plane.
 */
import type { KernelSource } from '../../gpu/types.js';
import { SlicetuneError } from '../../util/errors.js';
import {
  bufferArg,
  fixedKernel,
  floatC,
  gridStrideBlocks,
  gridStrideLoop,
  streamingModel,
} from './common.js';

export interface Pool2dParams {
  kind: 'max' | 'avg';
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output extent (from shape inference: ceil_mode is already in it). */
  oh: number;
  ow: number;
  kernel: [number, number];
  strides: [number, number];
  /** top, left, bottom, right. */
  pads: [number, number, number, number];
  dilations: [number, number];
  countIncludePad: boolean;
}

function checkPool(p: Pool2dParams): void {
  const all = [p.n, p.c, p.h, p.w, p.oh, p.ow, ...p.kernel, ...p.strides, ...p.dilations];
  if (
    !all.every((x) => Number.isInteger(x) && x >= 1) ||
    !p.pads.every((x) => Number.isInteger(x) && x >= 0)
  ) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `fixed kernels: pool2d parameters ${JSON.stringify(p)} are not valid`,
    );
  }
}

/** The window's first tap, for output (oy, ox): what the kernel and its JS mirror both use. */
export function windowOrigin(p: Pool2dParams, oy: number, ox: number): [number, number] {
  return [oy * p.strides[0] - p.pads[0], ox * p.strides[1] - p.pads[1]];
}

export function pool2dKernel(p: Pool2dParams): KernelSource {
  checkPool(p);
  const [kh, kw] = p.kernel;
  const [dh, dw] = p.dilations;
  const total = p.n * p.c * p.oh * p.ow;
  const max = p.kind === 'max';
  const divisor = p.countIncludePad
    ? `(float)((min(y0 + ${kh}, ${p.h + p.pads[2]}) - y0) * (min(x0 + ${kw}, ${p.w + p.pads[3]}) - x0))`
    : '(float)count';
  const body = `const int ox = idx % ${p.ow}; const int oy = (idx / ${p.ow}) % ${p.oh}; const int plane = idx / ${p.oh * p.ow};
    const int y0 = oy * ${p.strides[0]} - ${p.pads[0]}; const int x0 = ox * ${p.strides[1]} - ${p.pads[1]};
    const float* src = p_x + plane * ${p.h * p.w};
    float acc = ${max ? floatC(Number.NEGATIVE_INFINITY) : '0.0f'}; int count = 0;
    for (int i = 0; i < ${kh}; ++i) {
      const int iy = y0 + i * ${dh};
      if (iy < 0 || iy >= ${p.h}) continue;
      for (int j = 0; j < ${kw}; ++j) {
        const int ix = x0 + j * ${dw};
        if (ix < 0 || ix >= ${p.w}) continue;
        const float v = src[iy * ${p.w} + ix];
        ${max ? 'acc = fmaxf(v, acc);' : 'acc += v;'}
        ++count;
      }
    }
    p_out[idx] = ${max ? 'acc' : `acc / ${divisor}`};`;
  const inElems = p.n * p.c * p.h * p.w;
  return fixedKernel({
    op: `${p.kind}pool2d`,
    params: p,
    args: [bufferArg('x', inElems, 'input'), bufferArg('out', total, 'output')],
    body: gridStrideLoop(total, body),
    grid: gridStrideBlocks(total),
    // Overlapping windows read each input about (kh x kw) / (sh x sw) times, mostly from L1/L2.
    model: streamingModel(4 * (inElems + total), total * kh * kw, 4 * (total * kh * kw + total)),
  });
}
