/**
 * Logical coverage: from a config alone (not from the generated code), the output indices each
 * block, thread and register slot of a template's schedule writes, per dimension; every index in
 * [0, extent) must be written exactly once, and the launch (grid, threads) must match the
 * schedule. The GPU checks the code itself against the reference (bench/ops).
 */
import type { KernelSource } from '../../src/gpu/types.js';
import { conv2dOutput, type Workload } from '../../src/ops/index.js';
import type { Config } from '../../src/space/index.js';

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
const num = (c: Config, k: string) => c[k] as number;
const split = (c: Config, k: string) => c[k] as readonly number[];

/** Null when `indices` holds every value of [0, extent) exactly once (values past it are guarded). */
function exactlyOnce(name: string, extent: number, indices: Iterable<number>): string | null {
  const seen = new Uint8Array(extent);
  for (const i of indices) {
    if (i < 0) return `${name}: negative index ${i}`;
    if (i >= extent) continue;
    if (seen[i]) return `${name}: index ${i} written twice`;
    seen[i] = 1;
  }
  const missing = seen.indexOf(0);
  return missing >= 0 ? `${name}: index ${missing} of ${extent} never written` : null;
}

function* axisIndices(extent: number, parts: readonly number[]): Generator<number> {
  const [, v = 1, t = 1, i = 1] = parts.length === 4 ? parts : [parts[0], 1, parts[1], parts[2] ?? 1];
  const per = v * t * i;
  for (let b = 0; b < ceilDiv(extent, per); b++)
    for (let vv = 0; vv < v; vv++)
      for (let tt = 0; tt < t; tt++) for (let ii = 0; ii < i; ii++) yield b * per + vv * t * i + tt * i + ii;
}

function* gemmIndices(extent: number, tile: number, perThread: number): Generator<number> {
  const threads = tile / perThread;
  const vw = Math.min(4, perThread);
  for (let b = 0; b < ceilDiv(extent, tile); b++)
    for (let thr = 0; thr < threads; thr++)
      for (let i = 0; i < perThread; i++)
        yield b * tile + Math.floor(i / vw) * vw * threads + thr * vw + (i % vw);
}

function* mmaIndices(
  extent: number,
  tile: number,
  warps: number,
  frag: number,
  lanes: number[],
): Generator<number> {
  const wt = tile / warps;
  for (let b = 0; b < ceilDiv(extent, tile); b++)
    for (let w = 0; w < warps; w++)
      for (let f = 0; f < wt / frag; f++) for (const l of lanes) yield b * tile + w * wt + f * frag + l;
}

/** Each thread of a warp-tiled block gets a distinct (thr_m, thr_n) pair, covering all. */
function warpLayout(threads: number, thrM: number, warpM: number): string | null {
  const warpN = 32 / warpM;
  const warpsM = thrM / warpM;
  const pairs = new Set<number>();
  for (let tid = 0; tid < threads; tid++) {
    const lane = tid % 32;
    const warp = Math.floor(tid / 32);
    const m = (warp % warpsM) * warpM + (lane % warpM);
    const n = Math.floor(warp / warpsM) * warpN + Math.floor(lane / warpM);
    pairs.add(n * thrM + m);
  }
  return pairs.size === threads
    ? null
    : `warp layout maps ${threads} threads onto ${pairs.size} thread tiles`;
}

function expectLaunch(k: KernelSource, grid: readonly number[], threads: number): string | null {
  if (k.grid.join() !== grid.join()) return `grid [${k.grid.join()}] but the schedule needs [${grid.join()}]`;
  if (k.block[0] !== threads) return `block of ${k.block[0]} threads but the schedule has ${threads}`;
  return null;
}

function gemmDims(w: Workload): { M: number; N: number; extra: number; batch: number } {
  if (w.op === 'conv2d') {
    const { oh, ow } = conv2dOutput(w.shape);
    return { M: w.shape.n * oh * ow, N: w.shape.k / w.shape.groups, extra: w.shape.groups, batch: 1 };
  }
  if (w.op === 'dense') return { M: w.shape.m, N: w.shape.n, extra: 1, batch: 1 };
  return { M: w.shape.m, N: w.shape.n, extra: 1, batch: w.shape.b };
}

export function coverageProblem(template: string, w: Workload, c: Config, k: KernelSource): string | null {
  if (template === 'conv2d_direct' && w.op === 'conv2d') {
    const s = w.shape;
    const { oh, ow } = conv2dOutput(s);
    const [tk, ty, tx] = ['tile_k', 'tile_y', 'tile_x'].map((n) => split(c, n));
    const blocks = (e: number, f: readonly number[]) => ceilDiv(e, (f[1] ?? 1) * (f[2] ?? 1) * (f[3] ?? 1));
    const kpg = s.k / s.groups;
    const grid = [
      s.n * s.groups * blocks(kpg, tk!) * blocks(oh, ty!) * blocks(ow, tx!),
      1,
      num(c, 'split_rc'),
    ];
    return (
      expectLaunch(k, grid, (tk![2] ?? 1) * (ty![2] ?? 1) * (tx![2] ?? 1)) ??
      exactlyOnce('k', kpg, axisIndices(kpg, tk!)) ??
      exactlyOnce('y', oh, axisIndices(oh, ty!)) ??
      exactlyOnce('x', ow, axisIndices(ow, tx!))
    );
  }
  if (template === 'depthwise_conv2d' && w.op === 'conv2d') {
    const s = w.shape;
    const { oh, ow } = conv2dOutput(s);
    const [tc, ty, tx] = ['tile_c', 'tile_y', 'tile_x'].map((n) => split(c, n));
    const grid = [
      s.n * ceilDiv(s.c, tc![1]!) * ceilDiv(oh, ty![1]! * ty![2]!) * ceilDiv(ow, tx![1]! * tx![2]!),
      1,
      1,
    ];
    return (
      expectLaunch(k, grid, tc![1]! * ty![1]! * tx![1]!) ??
      exactlyOnce('c', s.c, axisIndices(s.c, [tc![0]!, tc![1]!, 1])) ??
      exactlyOnce('y', oh, axisIndices(oh, ty!)) ??
      exactlyOnce('x', ow, axisIndices(ow, tx!))
    );
  }
  const { M, N, extra, batch } = gemmDims(w);
  if (template === 'conv2d_igemm_tf32') {
    const [bm, bn, wm, wn, sk] = ['bm', 'bn', 'warps_m', 'warps_n', 'split_k'].map((n) =>
      num(c, n),
    ) as number[];
    const grid = [ceilDiv(M, bm!) * ceilDiv(N, bn!) * extra, 1, sk!];
    const rows = Array.from({ length: 16 }, (_, i) => i); // groupID + 8 * (q >> 1)
    const cols = Array.from({ length: 8 }, (_, i) => i); // 2 * threadID_in_group + (q & 1)
    return (
      expectLaunch(k, grid, 32 * wm! * wn!) ??
      exactlyOnce('m', M, mmaIndices(M, bm!, wm!, 16, rows)) ??
      exactlyOnce('n', N, mmaIndices(N, bn!, wn!, 8, cols))
    );
  }
  const [bm, bn, tm, tn, warpM] = ['bm', 'bn', 'tm', 'tn', 'warp_m'].map((n) => num(c, n)) as number[];
  const splitK = c.split_k === undefined ? 1 : num(c, 'split_k');
  const threads = (bm! / tm!) * (bn! / tn!);
  const grid = [ceilDiv(M, bm!) * ceilDiv(N, bn!) * extra, 1, splitK > 1 ? splitK : batch];
  return (
    expectLaunch(k, grid, threads) ??
    warpLayout(threads, bm! / tm!, warpM!) ??
    exactlyOnce('m', M, gemmIndices(M, bm!, tm!)) ??
    exactlyOnce('n', N, gemmIndices(N, bn!, tn!))
  );
}
