/**
 * A TF32 tensor-core GEMM core: warps issue `mma.sync.aligned.m16n8k8` (inline PTX, sm_80+; no
 * header needed under NVRTC) on operands rounded to TF32 (`cvt.rna`) as they are staged. A is
 * staged k-major with a pitch of 8 mod 32 floats and B row-major with a pitch of 4 mod 32, so
 * every fragment load of a warp hits 32 distinct banks. Accumulation stays fp32; the epilogue
 * stores straight from the accumulator fragments. Numerics differ from fp32 (10-bit mantissas):
 * the template is marked tensorCore and is opt-in.
 */

import type { DeviceInfo, KernelModel } from '../gpu/types.js';
import { ceilDiv, kernelSignature } from './cuda.js';
import { epilogueStore } from './epilogue.js';
import type { GemmProblem } from './gemm-core.js';
import type { GemmKernelParts } from './gemm-kernel.js';
import { operandCode, operandStats, type TileGeometry } from './gemm-operands.js';
import { modelRegs } from './limits.js';
import { clamp } from './model.js';
import { splitKDeclarations, splitKStores } from './splitk.js';
import { stagedMainLoop } from './staged-loop.js';

export interface Tf32Tiling {
  bm: number;
  bn: number;
  bk: number;
  warpsM: number;
  warpsN: number;
  splitK: number;
  doubleBuffer: boolean;
}

export function tf32Plan(p: GemmProblem, t: Tf32Tiling) {
  const threads = 32 * t.warpsM * t.warpsN;
  const wtm = t.bm / t.warpsM;
  const wtn = t.bn / t.warpsN;
  const pitchA = t.bm + 8;
  const pitchB = t.bk + 4;
  const stageFloats = t.bk * pitchA + t.bn * pitchB;
  const mTiles = ceilDiv(p.M, t.bm);
  const nTiles = ceilDiv(p.N, t.bn);
  const kChunk = ceilDiv(ceilDiv(p.K, t.splitK), t.bk) * t.bk;
  const geoA: TileGeometry = {
    rowsTile: t.bm,
    rows: p.M,
    bk: t.bk,
    k: p.K,
    threads,
    pitch: pitchA,
    row0: 'm0',
    convert: 'to_tf32',
  };
  const geoB: TileGeometry = {
    ...geoA,
    rowsTile: t.bn,
    rows: p.N,
    pitch: pitchB,
    row0: 'n0',
    rowMajor: true,
  };
  const mi = Math.max(1, Math.floor(wtm / 16));
  const ni = Math.max(1, Math.floor(wtn / 8));
  const la = operandStats(p.a, geoA);
  const lb = operandStats(p.b, geoB);
  // Staged values and their addresses; with several k8 steps per stage, fragments are hoisted.
  const staging = la.regs + lb.regs + la.loads + lb.loads;
  const fragments = (mi * 4 + ni * 2) * (t.bk > 8 ? 2 : 1);
  return {
    t,
    threads,
    wtm,
    wtn,
    mi,
    ni,
    pitchA,
    pitchB,
    stageFloats,
    sharedBytes: 4 * stageFloats * (t.doubleBuffer ? 2 : 1),
    mTiles,
    nTiles,
    kChunk,
    kTiles: kChunk / t.bk,
    grid: [mTiles * nTiles * p.extra, 1, t.splitK] as [number, number, number],
    geoA,
    geoB,
    regs: mi * ni * 4 + fragments + staging + 30,
  };
}
export type Tf32Plan = ReturnType<typeof tf32Plan>;

export function tf32Model(p: GemmProblem, plan: Tf32Plan, device: DeviceInfo): KernelModel {
  const t = plan.t;
  const macs = plan.mTiles * t.bm * plan.nTiles * t.bn * plan.kChunk * t.splitK * p.extra;
  // FP32-rate units: an mma per 4 fragment loads keeps the tensor pipe fed; the rate itself is
  // beyond the FP32 scale the model speaks in, so the estimate stops at its ceiling.
  const perMma = (plan.mi * 4 + plan.ni * 2) / (plan.mi * plan.ni);
  const eff = clamp(0.95 / (0.5 + 0.25 * perMma + (t.doubleBuffer ? 0 : 0.2)), 0.05, 0.95);
  const aTraffic = (p.aBytes * plan.nTiles * plan.mTiles * t.bm) / Math.max(1, p.M) / Math.max(1, p.aReuse);
  const bTraffic = (p.bBytes * plan.mTiles * plan.nTiles * t.bn) / Math.max(1, p.N);
  const split = t.splitK > 1 ? 8 * p.outputs * t.splitK : 0;
  return {
    flops: 2 * macs + p.epilogueFlops,
    dramBytes: p.dramBytes,
    trafficBytes: Math.max(p.dramBytes, aTraffic + bTraffic + 4 * p.outputs + p.epilogueBytes + split),
    regsPerThread: modelRegs(plan.regs, plan.threads, device),
    sharedBytesPerBlock: plan.sharedBytes,
    computeEfficiency: eff,
  };
}

export function tf32KernelCode(p: GemmProblem, plan: Tf32Plan, parts: GemmKernelParts): string {
  const t = plan.t;
  const la = operandCode('a', p.a, plan.geoA);
  const lb = operandCode('b', p.b, plan.geoB);
  const bOff = t.bk * plan.pitchA;
  const compute = (stage: string) => `{
      const float* sa = ${stage};
      const float* sb = ${stage} + ${bOff};
      #pragma unroll
      for (int k8 = 0; k8 < ${t.bk}; k8 += 8) {
        unsigned int fa[${plan.mi}][4], fb[${plan.ni}][2];
        #pragma unroll
        for (int i = 0; i < ${plan.mi}; ++i) {
          const float* pa = sa + (k8 + qt) * ${plan.pitchA} + wm0 + i * 16 + qg;
          fa[i][0] = __float_as_uint(pa[0]);
          fa[i][1] = __float_as_uint(pa[8]);
          fa[i][2] = __float_as_uint(pa[${4 * plan.pitchA}]);
          fa[i][3] = __float_as_uint(pa[${4 * plan.pitchA + 8}]);
        }
        #pragma unroll
        for (int j = 0; j < ${plan.ni}; ++j) {
          const float* pb = sb + (wn0 + j * 8 + qg) * ${plan.pitchB} + k8 + qt;
          fb[j][0] = __float_as_uint(pb[0]);
          fb[j][1] = __float_as_uint(pb[4]);
        }
        #pragma unroll
        for (int i = 0; i < ${plan.mi}; ++i) {
          #pragma unroll
          for (int j = 0; j < ${plan.ni}; ++j) {
            asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
              : "+f"(acc[i][j][0]), "+f"(acc[i][j][1]), "+f"(acc[i][j][2]), "+f"(acc[i][j][3])
              : "r"(fa[i][0]), "r"(fa[i][1]), "r"(fa[i][2]), "r"(fa[i][3]), "r"(fb[j][0]), "r"(fb[j][1]));
          }
        }
      }
    }`;
  const mainLoop = stagedMainLoop({
    a: la,
    b: lb,
    bOffset: bOff,
    kTiles: plan.kTiles,
    bk: t.bk,
    stageFloats: plan.stageFloats,
    doubleBuffer: t.doubleBuffer,
    compute,
  });
  const eachOutput = (body: (site: { index: string; channel: string }) => string) => `#pragma unroll
  for (int i = 0; i < ${plan.mi}; ++i) {
    #pragma unroll
    for (int j = 0; j < ${plan.ni}; ++j) {
      #pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int m = m0 + wm0 + i * 16 + qg + (q >> 1) * 8;
        const int n = n0 + wn0 + j * 8 + qt * 2 + (q & 1);
        if (m < ${p.M} && n < ${p.N}) ${body(parts.site('m', 'n'))}
      }
    }
  }`;
  const split = t.splitK > 1;
  const stores = splitKStores(t.splitK, eachOutput, 'acc[i][j][q]', (site) =>
    epilogueStore(parts.w, parts.names, site),
  );
  return `// slicetune ${parts.comment}
// TF32 mma.sync m16n8k8: tile ${t.bm}x${t.bn}x${t.bk}, warps ${t.warpsM}x${t.warpsN}, split-K ${t.splitK}
${split ? splitKDeclarations(p.outputs, plan.grid[0]) : ''}
${la.globals}
__device__ __forceinline__ float to_tf32(float x) {
  unsigned int r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return __uint_as_float(r);
}
${kernelSignature(parts.w, parts.entry, plan.threads)} {
  extern __shared__ __align__(16) float smem[];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int qg = lane >> 2;
  const int qt = lane & 3;
  const int wm0 = (warp % ${t.warpsM}) * ${plan.wtm};
  const int wn0 = (warp / ${t.warpsM}) * ${plan.wtn};
  int bid = blockIdx.x;
  const int m0 = (bid % ${plan.mTiles}) * ${t.bm}; bid /= ${plan.mTiles};
  const int n0 = (bid % ${plan.nTiles}) * ${t.bn};
  const int blk_extra = bid / ${plan.nTiles};
  const int blk_z = blockIdx.z;
  (void)blk_extra; (void)blk_z;
  ${parts.prologue}
  const int k_begin = ${split ? `blk_z * ${plan.kChunk}` : '0'};
  ${la.setup}
  ${lb.setup}
  float acc[${plan.mi}][${plan.ni}][4];
  #pragma unroll
  for (int i = 0; i < ${plan.mi}; ++i) {
    #pragma unroll
    for (int j = 0; j < ${plan.ni}; ++j) {
      #pragma unroll
      for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.0f;
    }
  }
  ${mainLoop}
  ${stores}
}
`;
}
