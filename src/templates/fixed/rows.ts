/**
 * Row reductions: softmax, layer normalization and global average pooling. One warp per row:
 * the 32 lanes stride over the row, combine through warp shuffles, then write. A row is `len`
 * elements `inner` apart starting at (row / inner) * len * inner + row % inner: inner = 1 for
 * the last axis (LayerNorm, GAP planes), > 1 for a softmax over an inner axis.
 */
import type { KernelSource } from '../../gpu/types.js';
import { SlicetuneError } from '../../util/errors.js';
import { bufferArg, fixedKernel, floatC, streamingModel } from './common.js';

export const ROW_WARPS_PER_BLOCK = 4;
const ROW_THREADS = 32 * ROW_WARPS_PER_BLOCK;

export interface RowLayout {
  rows: number;
  len: number;
  inner: number;
}

/** Offset of element j of row r: the JS mirror of the kernels' `base + j * inner`. */
export function rowOffset(layout: RowLayout, row: number, j: number): number {
  const { len, inner } = layout;
  return Math.floor(row / inner) * len * inner + (row % inner) + j * inner;
}

/** Blocks for one warp per row. */
export function rowBlocks(rows: number): number {
  return Math.ceil(rows / ROW_WARPS_PER_BLOCK);
}

function checkLayout(what: string, l: RowLayout): void {
  if (![l.rows, l.len, l.inner].every((x) => Number.isInteger(x) && x >= 1) || l.rows % l.inner !== 0) {
    throw new SlicetuneError('BAD_SHAPE', `fixed kernels: ${what} rows ${JSON.stringify(l)} are not valid`);
  }
}

const WARP_REDUCE = `#define WARP_SUM(v) for (int o_ = 16; o_ > 0; o_ >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o_)
#define WARP_MAX(v) for (int o_ = 16; o_ > 0; o_ >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o_))`;

/** The warp's row and lane; the whole warp leaves together past the last row (shuffles stay full). */
function rowHead(l: RowLayout): string {
  return `  const int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (row >= ${l.rows}) return;
  const int base = (row / ${l.inner}) * ${l.len * l.inner} + row % ${l.inner};`;
}

const loop = (l: RowLayout, body: string) =>
  `for (int j = lane; j < ${l.len}; j += 32) { const int at = base + j * ${l.inner}; ${body} }`;

/** Softmax over an axis of `len` elements (numerically stable: the row's max is subtracted). */
export function softmaxKernel(layout: RowLayout): KernelSource {
  checkLayout('softmax', layout);
  const total = layout.rows * layout.len;
  const body = `${rowHead(layout)}
  float m = ${floatC(Number.NEGATIVE_INFINITY)};
  ${loop(layout, 'm = fmaxf(m, p_x[at]);')}
  WARP_MAX(m);
  float s = 0.0f;
  ${loop(layout, 's += expf(p_x[at] - m);')}
  WARP_SUM(s);
  const float inv = 1.0f / s;
  ${loop(layout, 'p_out[at] = expf(p_x[at] - m) * inv;')}`;
  return withReduce(
    fixedKernel({
      op: 'softmax',
      params: layout,
      args: [bufferArg('x', total, 'input'), bufferArg('out', total, 'output')],
      body,
      grid: rowBlocks(layout.rows),
      threads: ROW_THREADS,
      model: streamingModel(8 * total, 30 * total, 16 * total),
    }),
  );
}

/**
 * LayerNormalization over the last `len` elements: mean, then the variance of the centred
 * values (two passes, no cancellation), out = (x - mean) / sqrt(var + eps) * scale + bias.
 */
export function layerNormKernel(rows: number, len: number, epsilon: number, bias: boolean): KernelSource {
  const layout = { rows, len, inner: 1 };
  checkLayout('layer norm', layout);
  const total = rows * len;
  const shift = bias ? ' + p_bias[j]' : '';
  const body = `${rowHead(layout)}
  float sum = 0.0f;
  ${loop(layout, 'sum += p_x[at];')}
  WARP_SUM(sum);
  const float mean = sum / ${len}.0f;
  float sq = 0.0f;
  ${loop(layout, 'const float d = p_x[at] - mean; sq += d * d;')}
  WARP_SUM(sq);
  const float inv = 1.0f / sqrtf(sq / ${len}.0f + ${floatC(epsilon)});
  ${loop(layout, `p_out[at] = (p_x[at] - mean) * inv * p_scale[j]${shift};`)}`;
  const args = [bufferArg('x', total, 'input'), bufferArg('scale', len, 'input')];
  if (bias) args.push(bufferArg('bias', len, 'input'));
  args.push(bufferArg('out', total, 'output'));
  return withReduce(
    fixedKernel({
      op: 'layernorm',
      params: { rows, len, epsilon, bias },
      args,
      body,
      grid: rowBlocks(rows),
      threads: ROW_THREADS,
      model: streamingModel(4 * (2 * total + 2 * len), 8 * total, 4 * (3 * total + 2 * len)),
    }),
  );
}

/** Mean of each (n, c) plane of `planeSize` elements: out has one value per plane. */
export function globalAvgPoolKernel(planes: number, planeSize: number): KernelSource {
  const layout = { rows: planes, len: planeSize, inner: 1 };
  checkLayout('global average pool', layout);
  const body = `${rowHead(layout)}
  float sum = 0.0f;
  ${loop(layout, 'sum += p_x[at];')}
  WARP_SUM(sum);
  if (lane == 0) p_out[row] = sum / ${planeSize}.0f;`;
  return withReduce(
    fixedKernel({
      op: 'globalavgpool',
      params: layout,
      args: [bufferArg('x', planes * planeSize, 'input'), bufferArg('out', planes, 'output')],
      body,
      grid: rowBlocks(planes),
      threads: ROW_THREADS,
      model: streamingModel(4 * (planes * planeSize + planes), planes * planeSize),
    }),
  );
}

/** The warp-reduction macros go above the kernel. */
function withReduce(k: KernelSource): KernelSource {
  return { ...k, code: `${WARP_REDUCE}\n${k.code}` };
}
