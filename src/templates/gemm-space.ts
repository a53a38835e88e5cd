/**
 * Knobs of the GEMM templates (dense, batch_matmul, conv2d_igemm) and their reading into a
 * GemmTiling. Tile sizes are powers of two that need not divide the problem: every load and store
 * is guarded. Options beyond the problem's extent are left out (a 128-row tile for m = 1 only
 * wastes), so spaces stay dense in useful points.
 */
import type { DeviceInfo } from '../gpu/types.js';
import type { Config, Knob } from '../space/index.js';
import { boolValue, choiceValue } from '../space/index.js';
import { nextPow2, powersOfTwoUpTo } from './cuda.js';
import type { GemmTiling } from './gemm-core.js';

export interface GemmKnobOptions {
  M: number;
  N: number;
  K: number;
  splitK: boolean;
  /** Whether a `vec` knob (128-bit loads) exists: only where some operand can be vectorized. */
  vec: boolean;
}

/** Powers of two from `min` up to the extent (rounded up), within [reach, max]. */
const tileOptions = (extent: number, min: number, max: number, reach = min) =>
  powersOfTwoUpTo(Math.max(reach, Math.min(max, nextPow2(extent))), min);

export function gemmKnobs(o: GemmKnobOptions): Knob[] {
  const knobs: Knob[] = [
    { kind: 'choice', name: 'bm', options: tileOptions(o.M, 1, 128) },
    // bn reaches 32 even for tiny n, so that a block of one row still has a warp of threads.
    { kind: 'choice', name: 'bn', options: tileOptions(o.N, 4, 256, 32) },
    { kind: 'choice', name: 'bk', options: tileOptions(o.K, 4, 64) },
    { kind: 'choice', name: 'tm', options: tileOptions(o.M, 1, 8) },
    { kind: 'choice', name: 'tn', options: tileOptions(o.N, 1, 8) },
    { kind: 'choice', name: 'warp_m', options: [1, 2, 4, 8, 16, 32] },
  ];
  if (o.splitK) knobs.push({ kind: 'choice', name: 'split_k', options: [1, 2, 4, 8, 16, 32] });
  if (o.vec) knobs.push({ kind: 'bool', name: 'vec' });
  knobs.push(
    { kind: 'bool', name: 'double_buffer' },
    { kind: 'choice', name: 'unroll', options: [1, 4, 16, 64] },
  );
  return knobs;
}

const num = (c: Config, name: string) => choiceValue<number>(c, name);

export function gemmTiling(c: Config): GemmTiling {
  return {
    bm: num(c, 'bm'),
    bn: num(c, 'bn'),
    bk: num(c, 'bk'),
    tm: num(c, 'tm'),
    tn: num(c, 'tn'),
    warpM: num(c, 'warp_m'),
    splitK: c.split_k === undefined ? 1 : num(c, 'split_k'),
    doubleBuffer: boolValue(c, 'double_buffer'),
    unroll: num(c, 'unroll'),
  };
}

export function vecOf(c: Config): boolean {
  return c.vec === undefined ? false : boolValue(c, 'vec');
}

/** Snap a wanted value to the largest option not above it (options ascending). */
function snap(options: readonly number[], want: number): number {
  let best = options[0] as number;
  for (const o of options) if (o <= want) best = o;
  return best;
}

/** Reductions this short are load-bound whatever the tile: small tiles cost nothing there. */
const SHORT_REDUCTION = 256;

/**
 * Default-config candidates, best first. Few rows (m <= 8): a GEMV layout (one thread row, wide
 * n tiles) with split-K. Otherwise, as measured on the H100 at batch 1 (split-K's atomics cost
 * more than somewhat smaller tiles; 1x1 thread tiles are load-bound on long reductions): the
 * largest of 64x64, 32x64, 64x32, 32x32 tiles (4x4 to 2x2 per thread) whose blocks fill every
 * SM; for short reductions also 16x32 to 16x16; else the largest big tile that fills the SMs
 * with split-K 2; else 32x32 split until it does. Then the rest as fallbacks; the template takes
 * the first candidate its space accepts.
 */
export function gemmDefaultCandidates(o: GemmKnobOptions, device: DeviceInfo, mFastest: boolean): Config[] {
  const bmOpts = tileOptions(o.M, 1, 128);
  const bnOpts = tileOptions(o.N, 4, 256, 32);
  const bkOpts = tileOptions(o.K, 4, 64);
  // [bm, bn, tm, tn]; tm 0 = the whole block tile (one thread row: the GEMV layout).
  const shapes: [number, number, number, number][] =
    o.M <= 8
      ? [
          [nextPow2(o.M), 128, 0, 2],
          [nextPow2(o.M), 64, 0, 1],
          [nextPow2(o.M), 32, 0, 1],
        ]
      : [
          [64, 64, 4, 4],
          [32, 64, 2, 4],
          [64, 32, 4, 2],
          [32, 32, 2, 2],
          [16, 32, 1, 2],
          [32, 16, 2, 1],
          [16, 16, 1, 1],
        ];
  const plans = shapes.map(([bmWant, bnWant, tmWant, tnWant]) => {
    const bm = snap(bmOpts, bmWant);
    const bn = snap(bnOpts, bnWant);
    const tm = Math.min(bm, tmWant === 0 ? bm : tmWant);
    const tn = Math.min(bn, tnWant);
    const bk = snap(bkOpts, o.M <= 8 ? 64 : 16);
    const tiles = Math.ceil(o.M / bm) * Math.ceil(o.N / bn);
    return { bm, bn, tm, tn, bk, tiles };
  });
  function splitFor(p: { bk: number; tiles: number }): number {
    if (!o.splitK) return 1;
    const target = o.M <= 8 ? 2 * device.sms : device.sms;
    const stages = Math.ceil(o.K / p.bk);
    let split = 1;
    while (split < 32 && p.tiles * split < target && split * 2 <= stages) split *= 2;
    return split;
  }
  const withSplit = plans.map((p) => ({ ...p, split: splitFor(p) }));
  const big = o.M > 8 ? withSplit.slice(0, 4) : [];
  const small = o.M > 8 && o.K <= SHORT_REDUCTION ? withSplit.slice(4) : [];
  const fills = (p: { tiles: number }, split: number) => p.tiles * split >= device.sms;
  const whole = [...big, ...small].find((p) => fills(p, 1));
  const preferred = whole
    ? { ...whole, split: 1 }
    : (big.find((p) => p.split <= 2 && fills(p, p.split)) ?? big[3]);
  const ordered = preferred ? [preferred, ...withSplit] : withSplit;
  const out: Config[] = [];
  for (const { bm, bn, tm, tn, bk, split } of ordered) {
    const thrM = bm / tm;
    const thrN = bn / tn;
    for (const warpM of mFastest ? [32, 16, 8, 4, 2, 1] : [1, 2, 4, 8, 16, 32]) {
      if (warpM > thrM || 32 / warpM > thrN) continue;
      const c: Record<string, number | boolean> = { bm, bn, bk, tm, tn, warp_m: warpM };
      if (o.splitK) c.split_k = split;
      if (o.vec) c.vec = true;
      c.double_buffer = true;
      c.unroll = 16;
      out.push(c);
      if (o.vec) out.push({ ...c, vec: false });
    }
  }
  return out;
}
