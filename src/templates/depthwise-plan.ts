/** depthwise_conv2d's plan: tile sizes, shared-memory halo tiles and launch shape from a config. */
import type { Workload } from '../ops/index.js';
import { conv2dOutput } from '../ops/index.js';
import type { Config } from '../space/index.js';
import { boolValue, splitValue } from '../space/index.js';
import { ceilDiv } from './cuda.js';

export function depthwiseGeometry(w: Workload) {
  if (w.op !== 'conv2d') throw new Error('depthwise template on a non-conv2d workload');
  const s = w.shape;
  return { s, ...conv2dOutput(s) };
}

export function depthwisePlan(w: Workload, c: Config) {
  const { s, oh, ow } = depthwiseGeometry(w);
  const [, tc = 1] = splitValue(c, 'tile_c');
  const [, ty = 1, iy = 1] = splitValue(c, 'tile_y');
  const [, tx = 1, ix = 1] = splitValue(c, 'tile_x');
  const yb = ty * iy;
  const xb = tx * ix;
  const inRows = (yb - 1) * s.strideH + (s.r - 1) * s.dilationH + 1;
  const inCols = (xb - 1) * s.strideW + (s.s - 1) * s.dilationW + 1;
  const inPitch = inCols % 2 === 1 ? inCols : inCols + 1;
  const inFloats = tc * inRows * inPitch;
  const wFloats = tc * s.r * s.s;
  const threads = tc * ty * tx;
  const explicit = boolValue(c, 'unroll_explicit');
  const unrollTaps = boolValue(c, 'unroll_taps');
  const inTrips = ceilDiv(tc * inRows * inCols, threads);
  const cBlocks = ceilDiv(s.c, tc);
  const yBlocks = ceilDiv(oh, yb);
  const xBlocks = ceilDiv(ow, xb);
  return {
    s,
    oh,
    ow,
    tc,
    ty,
    iy,
    tx,
    ix,
    inRows,
    inCols,
    inPitch,
    inFloats,
    wFloats,
    threads,
    explicit,
    unrollTaps,
    inTrips,
    cBlocks,
    yBlocks,
    xBlocks,
    grid: [s.n * cBlocks * yBlocks * xBlocks, 1, 1] as [number, number, number],
    sharedBytes: 4 * (inFloats + wFloats),
    // Explicit loads are all in flight (value and address); unrolled taps hoist shared loads.
    regs:
      iy * ix +
      26 +
      (explicit ? 2 * inTrips : 4) +
      (unrollTaps ? Math.min(s.r * s.s - 1, 3) * (iy * ix + 1) : 0),
  };
}
export type DepthwisePlan = ReturnType<typeof depthwisePlan>;
