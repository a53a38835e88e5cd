/**
 * Writes the CUDA C of the tiled GEMM core planned in gemm-core.ts. The templates supply the
 * prologue (base pointers for this block's GEMM) and where element (m, n) of C goes.
 */

import type { Workload } from '../ops/index.js';
import { type ArgNames, kernelSignature } from './cuda.js';
import { epilogueStore } from './epilogue.js';
import type { GemmPlan, GemmProblem } from './gemm-core.js';
import { operandCode } from './gemm-operands.js';
import { splitKDeclarations, splitKStores } from './splitk.js';
import { stagedMainLoop } from './staged-loop.js';

export interface GemmKernelParts {
  w: Workload;
  names: ArgNames;
  entry: string;
  /** Statements defining the operands' base pointers; may use `blk_extra` and `blk_z`. */
  prologue: string;
  /** Flat output index and output channel of element (m, n), as C expressions. */
  site: (m: string, n: string) => { index: string; channel: string };
  comment: string;
}

function fragmentLoads(
  frag: string,
  tile: string,
  pitch: number,
  count: number,
  vw: number,
  thr: string,
  span: number,
) {
  const lines: string[] = [];
  for (let c = 0; c < count / vw; c++) {
    const at = `${tile}[kk * ${pitch} + ${c * span} + ${thr} * ${vw}]`;
    if (vw === 4) {
      lines.push(
        `{ const float4 q = *reinterpret_cast<const float4*>(&${at}); ${frag}[${4 * c}] = q.x; ${frag}[${4 * c + 1}] = q.y; ${frag}[${4 * c + 2}] = q.z; ${frag}[${4 * c + 3}] = q.w; }`,
      );
    } else if (vw === 2) {
      lines.push(
        `{ const float2 q = *reinterpret_cast<const float2*>(&${at}); ${frag}[${2 * c}] = q.x; ${frag}[${2 * c + 1}] = q.y; }`,
      );
    } else {
      lines.push(`${frag}[${c}] = ${at};`);
    }
  }
  return lines.join('\n        ');
}

export function gemmKernelCode(p: GemmProblem, plan: GemmPlan, parts: GemmKernelParts): string {
  const t = plan.t;
  const { M, N } = p;
  const geoA = {
    rowsTile: t.bm,
    rows: M,
    bk: t.bk,
    k: p.K,
    threads: plan.threads,
    pitch: plan.pitchA,
    row0: 'm0',
  };
  const geoB = {
    rowsTile: t.bn,
    rows: N,
    bk: t.bk,
    k: p.K,
    threads: plan.threads,
    pitch: plan.pitchB,
    row0: 'n0',
  };
  const la = operandCode('a', p.a, geoA);
  const lb = operandCode('b', p.b, geoB);
  const warpN = 32 / t.warpM;
  const warpsM = plan.thrM / t.warpM;
  const spanM = plan.vwm * plan.thrM;
  const spanN = plan.vwn * plan.thrN;
  const aOff = t.bk * plan.pitchA;
  const unroll = Math.min(t.unroll, t.bk);
  const compute = (stage: string) => `{
      const float* sa = ${stage};
      const float* sb = ${stage} + ${aOff};
      #pragma unroll ${unroll}
      for (int kk = 0; kk < ${t.bk}; ++kk) {
        float fa[${t.tm}], fb[${t.tn}];
        ${fragmentLoads('fa', 'sa', plan.pitchA, t.tm, plan.vwm, 'thr_m', spanM)}
        ${fragmentLoads('fb', 'sb', plan.pitchB, t.tn, plan.vwn, 'thr_n', spanN)}
        #pragma unroll
        for (int i = 0; i < ${t.tm}; ++i) {
          #pragma unroll
          for (int j = 0; j < ${t.tn}; ++j) acc[i][j] = fmaf(fa[i], fb[j], acc[i][j]);
        }
      }
    }`;
  const mainLoop = stagedMainLoop({
    a: la,
    b: lb,
    bOffset: aOff,
    kTiles: plan.kTiles,
    bk: t.bk,
    stageFloats: plan.stageFloats,
    doubleBuffer: t.doubleBuffer,
    compute,
  });
  const eachOutput = (body: (site: { index: string; channel: string }) => string) => `#pragma unroll
  for (int i = 0; i < ${t.tm}; ++i) {
    const int m = m0 + (i / ${plan.vwm}) * ${spanM} + thr_m * ${plan.vwm} + (i % ${plan.vwm});
    #pragma unroll
    for (int j = 0; j < ${t.tn}; ++j) {
      const int n = n0 + (j / ${plan.vwn}) * ${spanN} + thr_n * ${plan.vwn} + (j % ${plan.vwn});
      if (m < ${M} && n < ${N}) ${body(parts.site('m', 'n'))}
    }
  }`;
  const split = t.splitK > 1;
  const stores = splitKStores(t.splitK, eachOutput, 'acc[i][j]', (site) =>
    epilogueStore(parts.w, parts.names, site),
  );
  return `// slicetune ${parts.comment}
// tile ${t.bm}x${t.bn}x${t.bk}, thread tile ${t.tm}x${t.tn}, warp ${t.warpM}x${warpN}, split-K ${t.splitK}, ${t.doubleBuffer ? 'double' : 'single'}-buffered
${split ? splitKDeclarations(p.outputs, plan.grid[0]) : ''}
${la.globals}
${kernelSignature(parts.w, parts.entry, plan.threads)} {
  extern __shared__ __align__(16) float smem[];
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int thr_m = (warp % ${warpsM}) * ${t.warpM} + (lane % ${t.warpM});
  const int thr_n = (warp / ${warpsM}) * ${warpN} + (lane / ${t.warpM});
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
  float acc[${t.tm}][${t.tn}];
  #pragma unroll
  for (int i = 0; i < ${t.tm}; ++i) {
    #pragma unroll
    for (int j = 0; j < ${t.tn}; ++j) acc[i][j] = 0.0f;
  }
  ${mainLoop}
  ${stores}
}
`;
}
