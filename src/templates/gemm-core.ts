/**
 * The tiled SIMT GEMM shared by conv2d_igemm, dense and batch_matmul: C[M][N] = A[M][K] B[K][N].
 * A block computes a BM x BN tile over K stages of BK, staging A and B in shared memory (k-major,
 * optionally double-buffered through registers); each thread keeps a TM x TN register tile, read
 * from shared memory as 128-bit vectors in chunks of 4 rows strided across the block (CUTLASS's
 * SIMT layout), so a warp's loads are conflict-free. Split-K spreads K over grid.z (splitk.ts).
 * This file holds the plan (sizes, limits, model); gemm-kernel.ts writes the code.
 */
import type { DeviceInfo, KernelModel } from '../gpu/types.js';
import { ceilDiv } from './cuda.js';
import { type Operand, operandPad, operandStats } from './gemm-operands.js';
import { launchProblem, modelRegs } from './limits.js';
import { computeEfficiency, loopOverhead, wavefronts } from './model.js';
import { SPLIT_K_MAX_OUTPUTS } from './splitk.js';

export interface GemmTiling {
  bm: number;
  bn: number;
  bk: number;
  /** Per-thread register tile. */
  tm: number;
  tn: number;
  /** Lanes of a warp along m (32 / warpM along n). */
  warpM: number;
  splitK: number;
  doubleBuffer: boolean;
  /** Unroll factor of the loop over one stage's BK. */
  unroll: number;
}

export interface GemmProblem {
  M: number;
  N: number;
  K: number;
  /** Independent GEMMs laid along grid.x beyond the M and N tiles (conv groups). */
  extra: number;
  /** Independent GEMMs along grid.z (batch_matmul's batch); split-K needs batch 1. */
  batch: number;
  a: Operand;
  b: Operand;
  /** Output elements in all (the split-K workspace size). */
  outputs: number;
  /** Bytes of the A and B matrices over all GEMMs (im2col: the gathered matrix). */
  aBytes: number;
  bBytes: number;
  /** Compulsory DRAM bytes of the workload (every tensor once). */
  dramBytes: number;
  /** Epilogue flops and the bytes it reads (scale, shift, bias, residual). */
  epilogueFlops: number;
  epilogueBytes: number;
  /** How often a block reuses a gathered A element through L1 (im2col taps that overlap). */
  aReuse: number;
}

export interface GemmPlan {
  t: GemmTiling;
  threads: number;
  thrM: number;
  thrN: number;
  vwm: number;
  vwn: number;
  pitchA: number;
  pitchB: number;
  stageFloats: number;
  sharedBytes: number;
  mTiles: number;
  nTiles: number;
  /** K per split, a multiple of BK, and stages per block. */
  kChunk: number;
  kTiles: number;
  grid: [number, number, number];
  regs: number;
}

function geometry(p: GemmProblem, t: GemmTiling, threads: number, pitchA: number, pitchB: number) {
  const a = { rowsTile: t.bm, rows: p.M, bk: t.bk, k: p.K, threads, pitch: pitchA, row0: 'm0' };
  const b = { rowsTile: t.bn, rows: p.N, bk: t.bk, k: p.K, threads, pitch: pitchB, row0: 'n0' };
  return { a, b };
}

export function gemmPlan(p: GemmProblem, t: GemmTiling): GemmPlan {
  const thrM = Math.max(1, Math.floor(t.bm / t.tm));
  const thrN = Math.max(1, Math.floor(t.bn / t.tn));
  const threads = thrM * thrN;
  const pitchA = t.bm + operandPad(p.a.kind);
  const pitchB = t.bn + operandPad(p.b.kind);
  const stageFloats = t.bk * (pitchA + pitchB);
  const stages = t.doubleBuffer ? 2 : 1;
  const mTiles = ceilDiv(p.M, t.bm);
  const nTiles = ceilDiv(p.N, t.bn);
  const kChunk = ceilDiv(ceilDiv(p.K, t.splitK), t.bk) * t.bk;
  const g = geometry(p, t, threads, pitchA, pitchB);
  const la = operandStats(p.a, g.a);
  const lb = operandStats(p.b, g.b);
  // Unrolled stages let the compiler load the next k's fragments early: twice the fragments.
  const fragments = (t.tm + t.tn) * (Math.min(t.unroll, t.bk) > 1 ? 2 : 1);
  const regs = t.tm * t.tn + fragments + la.regs + lb.regs + la.loads + lb.loads + 30;
  return {
    t,
    threads,
    thrM,
    thrN,
    vwm: Math.min(4, t.tm),
    vwn: Math.min(4, t.tn),
    pitchA,
    pitchB,
    stageFloats,
    sharedBytes: 4 * stages * stageFloats,
    mTiles,
    nTiles,
    kChunk,
    kTiles: kChunk / t.bk,
    grid: [mTiles * nTiles * p.extra, 1, t.splitK > 1 ? t.splitK : p.batch],
    regs,
  };
}

const isPow2 = (x: number) => x >= 1 && (x & (x - 1)) === 0;

/** Why a tiling cannot run this GEMM on this device, or null. */
export function gemmProblem(p: GemmProblem, t: GemmTiling, device: DeviceInfo): string | null {
  for (const [k, v] of Object.entries({ bm: t.bm, bn: t.bn, bk: t.bk, tm: t.tm, tn: t.tn, warpM: t.warpM })) {
    if (!isPow2(v)) return `${k}=${v} is not a power of two`;
  }
  if (t.tm > t.bm || t.tn > t.bn) return `thread tile ${t.tm}x${t.tn} exceeds block tile ${t.bm}x${t.bn}`;
  const plan = gemmPlan(p, t);
  const warpN = 32 / t.warpM;
  if (t.warpM > 32 || plan.thrM % t.warpM !== 0 || plan.thrN % warpN !== 0) {
    return `a warp of ${t.warpM}x${warpN} lanes does not tile ${plan.thrM}x${plan.thrN} threads`;
  }
  for (const [name, op, rows] of [
    ['A', p.a, t.bm],
    ['B', p.b, t.bn],
  ] as const) {
    if (op.vec !== 4) continue;
    // Vectors run along k for rowK operands and along the rows for the others.
    if (op.kind === 'rowK' ? t.bk % 4 !== 0 : rows % 4 !== 0) {
      return `128-bit loads of ${name} need ${op.kind === 'rowK' ? 'bk' : 'its row tile'} a multiple of 4`;
    }
  }
  if (t.splitK > 1) {
    if (p.batch > 1) return 'split-K needs batch 1 (grid.z holds the batch)';
    if (p.outputs > SPLIT_K_MAX_OUTPUTS) return `split-K workspace of ${p.outputs} floats is too large`;
    if (t.splitK > ceilDiv(p.K, t.bk))
      return `split-K ${t.splitK} exceeds the ${ceilDiv(p.K, t.bk)} stages of K`;
  }
  if (plan.grid[2] > 65535) return `grid.z of ${plan.grid[2]} exceeds 65535`;
  return launchProblem(
    { threads: plan.threads, sharedBytes: plan.sharedBytes, regsPerThread: plan.regs },
    device,
  );
}

/** Word addresses a warp reads for one fragment chunk: lane -> its 4-row chunk start. */
function fragmentAddresses(lanesAlong: number, lanePos: (lane: number) => number, vw: number): number[] {
  const addrs: number[] = [];
  for (let lane = 0; lane < 32; lane++) addrs.push((lanePos(lane) % lanesAlong) * vw);
  return addrs;
}

export function gemmModel(p: GemmProblem, plan: GemmPlan, device: DeviceInfo): KernelModel {
  const t = plan.t;
  const g = geometry(p, t, plan.threads, plan.pitchA, plan.pitchB);
  const la = operandStats(p.a, g.a);
  const lb = operandStats(p.b, g.b);
  const vw = (x: number) => (x >= 4 ? 4 : x >= 2 ? 2 : 1) as 1 | 2 | 4;
  const warpN = 32 / t.warpM;
  const waveA =
    wavefronts(
      fragmentAddresses(t.warpM, (l) => l, plan.vwm),
      vw(plan.vwm),
    ) *
    (t.tm / plan.vwm);
  const waveB =
    wavefronts(
      fragmentAddresses(warpN, (l) => Math.floor(l / t.warpM), plan.vwn),
      vw(plan.vwn),
    ) *
    (t.tn / plan.vwn);
  const computeEff = computeEfficiency(
    {
      fma: t.tm * t.tn,
      sharedLoads: t.tm / plan.vwm + t.tn / plan.vwn,
      sharedWavefronts: waveA + waveB,
      otherInstr: loopOverhead(Math.min(t.unroll, t.bk)),
    },
    {
      innerSteps: t.bk,
      loadInstr: la.instrPerStage + lb.instrPerStage,
      barriers: t.doubleBuffer ? 1 : 2,
      doubleBuffered: t.doubleBuffer,
    },
  );
  const gemms = p.extra * p.batch;
  const kDone = plan.kChunk * t.splitK;
  const macs = plan.mTiles * t.bm * plan.nTiles * t.bn * kDone * gemms;
  const dram = p.dramBytes;
  const aTraffic = (p.aBytes * plan.nTiles * (plan.mTiles * t.bm)) / Math.max(1, p.M) / Math.max(1, p.aReuse);
  const bTraffic = (p.bBytes * plan.mTiles * (plan.nTiles * t.bn)) / Math.max(1, p.N);
  const splitTraffic = t.splitK > 1 ? 8 * p.outputs * t.splitK : 0;
  return {
    flops: 2 * macs + p.epilogueFlops,
    dramBytes: dram,
    trafficBytes: Math.max(dram, aTraffic + bTraffic + 4 * p.outputs + p.epilogueBytes + splitTraffic),
    regsPerThread: modelRegs(plan.regs, plan.threads, device),
    sharedBytesPerBlock: plan.sharedBytes,
    computeEfficiency: computeEff,
  };
}
