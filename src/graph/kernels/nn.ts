/** Normalization, softmax, reductions and pooling (float64 sums, float32 storage). */
import { window2d } from '../conv-attrs.js';
import { attrFloat, attrInt, numel } from '../ir.js';
import { reduceParams } from '../shape-params.js';
import { normalizeAxis, stridesOf } from '../shape-util.js';
import { input, type Kernel, outInfo, ruleInputsOf } from './types.js';

function f32(shape: number[], data: Float32Array) {
  return { dtype: 'f32' as const, shape, data };
}

/** Softmax (opset 13): over one axis. */
const softmax: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.shape.length);
  const len = x.shape[axis] ?? 1;
  const inner = numel(x.shape.slice(axis + 1));
  const outer = numel(x.shape.slice(0, axis));
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < len; j++) max = Math.max(max, x.data[base + j * inner] as number);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += Math.exp((x.data[base + j * inner] as number) - max);
      for (let j = 0; j < len; j++)
        out[base + j * inner] = Math.exp((x.data[base + j * inner] as number) - max) / sum;
    }
  }
  return [f32(outInfo(outs).shape, out)];
};

/** LayerNormalization (opset 17): over the axes from `axis` on, then scale and bias. */
const layerNorm: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const scale = input(node, inputs, 1).data;
  const bias = inputs[2]?.data;
  const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.shape.length);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const len = numel(x.shape.slice(axis));
  const rows = x.data.length / len;
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let mean = 0;
    for (let j = 0; j < len; j++) mean += x.data[base + j] as number;
    mean /= len;
    let variance = 0;
    for (let j = 0; j < len; j++) variance += ((x.data[base + j] as number) - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / len + eps);
    for (let j = 0; j < len; j++) {
      const normalized = ((x.data[base + j] as number) - mean) * inv;
      out[base + j] = normalized * (scale[j] as number) + ((bias?.[j] as number | undefined) ?? 0);
    }
  }
  return [f32(outInfo(outs).shape, out)];
};

/** BatchNormalization in inference mode: per channel (axis 1). */
const batchNorm: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const [scale, shift, mean, variance] = [1, 2, 3, 4].map((i) => input(node, inputs, i).data);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const channels = x.shape[1] ?? 1;
  const inner = numel(x.shape.slice(2));
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const inv = 1 / Math.sqrt((variance?.[c] as number) + eps);
    out[i] =
      ((x.data[i] as number) - (mean?.[c] as number)) * inv * (scale?.[c] as number) + (shift?.[c] as number);
  }
  return [f32(outInfo(outs).shape, out)];
};

const reduceMean: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const { axes } = reduceParams(ruleInputsOf(node, inputs));
  const info = outInfo(outs);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(keptShape);
  const inStrides = stridesOf(x.shape);
  const sums = new Float64Array(numel(keptShape));
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    let rest = i;
    for (let d = 0; d < x.shape.length; d++) {
      const idx = Math.floor(rest / (inStrides[d] ?? 1));
      rest -= idx * (inStrides[d] ?? 1);
      if (!axes.includes(d)) o += idx * (keptStrides[d] ?? 0);
    }
    sums[o] = (sums[o] ?? 0) + (x.data[i] as number);
  }
  const count = x.data.length / sums.length;
  return [
    f32(
      info.shape,
      Float32Array.from(sums, (s) => s / count),
    ),
  ];
};

function pool(kind: 'max' | 'avg'): Kernel {
  return (node, inputs, outs) => {
    const x = input(node, inputs, 0);
    const [n = 1, c = 1, h = 1, w = 1] = x.shape;
    const info = outInfo(outs);
    const [, , oh = 1, ow = 1] = info.shape;
    const win = window2d(node, h, w);
    const [kh, kw] = win.kernel;
    const [sh, sw] = win.strides;
    const [dh, dw] = win.dilations;
    const [pt, pl, pb, pr] = win.pads;
    const includePad = attrInt(node, 'count_include_pad', 0) === 1;
    const out = new Float32Array(numel(info.shape));
    for (let plane = 0; plane < n * c; plane++) {
      const src = plane * h * w;
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          const y0 = y * sh - pt;
          const x0 = xo * sw - pl;
          let acc = kind === 'max' ? Number.NEGATIVE_INFINITY : 0;
          let count = 0;
          for (let i = 0; i < kh; i++) {
            const iy = y0 + i * dh;
            if (iy < 0 || iy >= h) continue;
            for (let j = 0; j < kw; j++) {
              const ix = x0 + j * dw;
              if (ix < 0 || ix >= w) continue;
              const v = x.data[src + iy * w + ix] as number;
              if (kind === 'max') acc = Math.max(v, acc);
              else acc += v;
              count++;
            }
          }
          if (kind === 'avg') {
            // PyTorch's divisor with count_include_pad: the window clipped to the padded input.
            const padded = (Math.min(y0 + kh, h + pb) - y0) * (Math.min(x0 + kw, w + pr) - x0);
            acc /= includePad ? padded : count;
          }
          out[(plane * oh + y) * ow + xo] = acc;
        }
      }
    }
    return [f32(info.shape, out)];
  };
}

const globalAveragePool: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const planeSize = numel(x.shape.slice(2));
  const planes = x.data.length / planeSize;
  const out = new Float32Array(planes);
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = 0; i < planeSize; i++) sum += x.data[p * planeSize + i] as number;
    out[p] = sum / planeSize;
  }
  return [f32(outInfo(outs).shape, out)];
};

export const NN_KERNELS: Record<string, Kernel> = {
  Softmax: softmax,
  LayerNormalization: layerNorm,
  BatchNormalization: batchNorm,
  ReduceMean: reduceMean,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalAveragePool,
};
