/**
 * conv2d_direct's plan: the AutoTVM direct-conv schedule (conv2d_nchw.cuda) as numbers.
 * Output channels (per group), rows and columns are each split [block, vthread, thread, inner];
 * a thread computes a (vthread*inner) tile of each, its vthread copies strided by the threads'
 * span (so a warp's loads stay contiguous). The reduction over channels, kernel rows and kernel
 * columns is split [outer, inner]: per outer step the block stages an input tile (with halo) and
 * a weight tile in shared memory and runs the inner steps from there. The outer channel steps
 * may also be spread over grid.z (split_rc, reduced through splitk.ts).
 */
import type { DeviceInfo } from '../gpu/types.js';
import type { Conv2dShape, Workload } from '../ops/index.js';
import { conv2dOutput } from '../ops/index.js';
import type { Config } from '../space/index.js';
import { boolValue, choiceValue, splitValue } from '../space/index.js';
import { ceilDiv } from './cuda.js';
import { launchProblem, MIN_THREADS } from './limits.js';
import { SPLIT_K_MAX_OUTPUTS } from './splitk.js';

/** A split of one output dimension: vthreads, threads and inner (register) factors. */
export interface AxisTiling {
  v: number;
  t: number;
  i: number;
  /** Outputs per block (v * t * i) and per thread (v * i), and blocks along the axis. */
  perBlock: number;
  perThread: number;
  blocks: number;
}

export interface DirectPlan {
  s: Conv2dShape;
  oh: number;
  ow: number;
  cpg: number;
  kpg: number;
  k: AxisTiling;
  y: AxisTiling;
  x: AxisTiling;
  rco: number;
  rci: number;
  ryo: number;
  ryi: number;
  rxo: number;
  rxi: number;
  splitRc: number;
  /** Outer channel steps per grid.z block. */
  rcoPerSplit: number;
  unrollStep: number;
  /** Inner reduction steps that auto_unroll_max_step unrolls into one loop body. */
  unrolledSteps: number;
  unrollExplicit: boolean;
  threads: number;
  /** Input tile: rows, columns, padded pitch; weight tile pitch (vector width of weight reads). */
  inRows: number;
  inCols: number;
  inPitch: number;
  inFloats: number;
  wVec: 1 | 2 | 4;
  wPitch: number;
  wFloats: number;
  sharedBytes: number;
  grid: [number, number, number];
  /** Trip counts of the cooperative loads (per thread, per stage). */
  inTrips: number;
  wTrips: number;
  regs: number;
}

function axis(extent: number, f: readonly number[]): AxisTiling {
  const [, v = 1, t = 1, i = 1] = f;
  const perBlock = v * t * i;
  return { v, t, i, perBlock, perThread: v * i, blocks: ceilDiv(extent, perBlock) };
}

export function convShape(w: Workload): Conv2dShape {
  if (w.op !== 'conv2d') throw new Error('conv2d template on a non-conv2d workload');
  return w.shape;
}

/** Most outer-step input/weight load rounds per thread that are written out unrolled. */
const MAX_EXPLICIT_TRIPS = 64;

export function directPlan(w: Workload, c: Config): DirectPlan {
  const s = convShape(w);
  const { oh, ow } = conv2dOutput(s);
  const cpg = s.c / s.groups;
  const kpg = s.k / s.groups;
  const k = axis(kpg, splitValue(c, 'tile_k'));
  const y = axis(oh, splitValue(c, 'tile_y'));
  const x = axis(ow, splitValue(c, 'tile_x'));
  const [rco = 1, rci = 1] = splitValue(c, 'tile_rc');
  const [ryo = 1, ryi = 1] = splitValue(c, 'tile_ry');
  const [rxo = 1, rxi = 1] = splitValue(c, 'tile_rx');
  const splitRc = choiceValue<number>(c, 'split_rc');
  const threads = k.t * y.t * x.t;
  const inRows = (y.perBlock - 1) * s.strideH + (ryi - 1) * s.dilationH + 1;
  const inCols = (x.perBlock - 1) * s.strideW + (rxi - 1) * s.dilationW + 1;
  const inPitch = inCols % 2 === 1 ? inCols : inCols + 1;
  // Input floats rounded up to 4 so the weight tile after it stays 16-byte aligned.
  const inFloats = ceilDiv(rci * inRows * inPitch, 4) * 4;
  const wVec: 1 | 2 | 4 = k.i % 4 === 0 ? 4 : k.i % 2 === 0 ? 2 : 1;
  // An odd number of vectors per row spreads the transposing stores over the banks.
  let wPitch = ceilDiv(k.perBlock, wVec) * wVec;
  if ((wPitch / wVec) % 2 === 0) wPitch += wVec;
  const wFloats = rci * ryi * rxi * wPitch;
  const inTrips = ceilDiv(rci * inRows * inCols, threads);
  const wTrips = ceilDiv(rci * ryi * rxi * k.perBlock, threads);
  const unrollExplicit = boolValue(c, 'unroll_explicit');
  const tile = k.perThread * y.perThread * x.perThread;
  const unrollStep = choiceValue<number>(c, 'auto_unroll_max_step');
  const innerSteps = rci * ryi * rxi;
  const unrolledSteps =
    unrollStep === 0
      ? 1
      : innerSteps <= unrollStep
        ? innerSteps
        : ryi * rxi <= unrollStep
          ? ryi * rxi
          : rxi <= unrollStep
            ? rxi
            : 1;
  // Explicitly unrolled loads are all in flight at once (a value and an address each); unrolled
  // inner steps let the compiler hoist the next steps' shared loads.
  const inFlight = unrollExplicit ? 2 * (inTrips + wTrips) : 4;
  const hoisted = Math.min(unrolledSteps - 1, 3) * (k.perThread + y.perThread * x.perThread);
  const regs = tile + k.perThread + y.perThread * x.perThread + 24 + inFlight + hoisted;
  return {
    s,
    oh,
    ow,
    cpg,
    kpg,
    k,
    y,
    x,
    rco,
    rci,
    ryo,
    ryi,
    rxo,
    rxi,
    splitRc,
    rcoPerSplit: ceilDiv(rco, splitRc),
    unrollStep,
    unrolledSteps,
    unrollExplicit,
    threads,
    inRows,
    inCols,
    inPitch,
    inFloats,
    wVec,
    wPitch,
    wFloats,
    sharedBytes: 4 * (inFloats + wFloats),
    grid: [s.n * s.groups * k.blocks * y.blocks * x.blocks, 1, splitRc],
    inTrips,
    wTrips,
    regs,
  };
}

export function directProblem(w: Workload, c: Config, device: DeviceInfo): string | null {
  const p = directPlan(w, c);
  if (p.splitRc > p.rco) return `split_rc ${p.splitRc} exceeds the ${p.rco} outer channel steps`;
  const outputs = p.s.n * p.s.k * p.oh * p.ow;
  if (p.splitRc > 1 && outputs > SPLIT_K_MAX_OUTPUTS)
    return `split_rc workspace of ${outputs} floats is too large`;
  if (p.unrollExplicit && p.inTrips + p.wTrips > MAX_EXPLICIT_TRIPS) {
    return `${p.inTrips + p.wTrips} load rounds per stage are too many to unroll explicitly`;
  }
  // Fewer than a warp only when one group's whole output is smaller than a warp.
  const minThreads = Math.min(MIN_THREADS, p.kpg * p.oh * p.ow);
  if (p.threads < minThreads) return `${p.threads} threads per block, fewer than ${minThreads}`;
  return launchProblem(
    { threads: Math.max(p.threads, MIN_THREADS), sharedBytes: p.sharedBytes, regsPerThread: p.regs },
    device,
  );
}
