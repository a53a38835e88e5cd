/**
 * conv2d_igemm: convolution as an implicit GEMM per group, M = n*oh*ow pixels, N = k/groups
 * output channels, K = c/groups*r*s, with A gathered from the NCHW input on the fly (im2col in
 * registers, never in memory) and B the KCRS weights read as rows contiguous in K (float4 when K
 * is a multiple of 4). Pointwise convs (1x1, stride 1, no padding) read A as float4 along pixels.
 * Worth it for 1x1 and deep layers, where the reduction is long and the image small; split-K
 * spreads the reduction over grid.z when there are too few output tiles to fill the GPU.
 */
import type { Workload } from '../ops/index.js';
import { conv2dOutput, epilogueOpsPerElement, workloadBytes } from '../ops/index.js';
import type { Config } from '../space/index.js';
import { epilogueBytes } from './epilogue.js';
import type { GemmProblem } from './gemm-core.js';
import { vecOf } from './gemm-space.js';
import { gemmTemplate } from './gemm-template.js';

export function convGemmShape(w: Workload) {
  if (w.op !== 'conv2d') throw new Error('conv2d template on a non-conv2d workload');
  const s = w.shape;
  const { oh, ow } = conv2dOutput(s);
  const cpg = s.c / s.groups;
  const kpg = s.k / s.groups;
  const kd = cpg * s.r * s.s;
  const pixels = oh * ow;
  const pointwise =
    s.r === 1 && s.s === 1 && s.strideH === 1 && s.strideW === 1 && s.padH === 0 && s.padW === 0;
  return { s, oh, ow, cpg, kpg, kd, pixels, M: s.n * pixels, pointwise };
}

export function convGemmProblem(w: Workload, vec: boolean): GemmProblem {
  const g = convGemmShape(w);
  const s = g.s;
  const outputs = g.M * s.k;
  const overlap = (s.r * s.s) / (Math.min(s.strideH, s.r) * Math.min(s.strideW, s.s));
  return {
    M: g.M,
    N: g.kpg,
    K: g.kd,
    extra: s.groups,
    batch: 1,
    a: { kind: 'im2col', base: 'A_', ld: 0, vec: vec && g.pointwise && g.pixels % 4 === 0 ? 4 : 1, conv: s },
    b: { kind: 'rowK', base: 'B_', ld: g.kd, vec: vec && g.kd % 4 === 0 ? 4 : 1 },
    outputs,
    aBytes: 4 * g.M * g.kd * s.groups,
    bBytes: 4 * s.k * g.kd,
    aReuse: Math.max(1, overlap),
    dramBytes: workloadBytes(w),
    epilogueFlops: outputs * epilogueOpsPerElement(w.epilogue),
    epilogueBytes: epilogueBytes(w, outputs, s.k),
  };
}

export function convGemmPrologue(w: Workload, lhs: string, rhs: string): string {
  const g = convGemmShape(w);
  return `const float* A_ = ${lhs} + blk_extra * ${g.cpg * g.s.h * g.s.w}; const float* B_ = ${rhs} + blk_extra * ${g.kpg * g.kd};`;
}

/** Output element (pixel m, channel n of group blk_extra) in NCHW. */
export function convGemmSite(w: Workload, m: string, n: string): { index: string; channel: string } {
  const g = convGemmShape(w);
  const channel = `(blk_extra * ${g.kpg} + ${n})`;
  return {
    index: `((${m}) / ${g.pixels} * ${g.s.k} + ${channel}) * ${g.pixels} + (${m}) % ${g.pixels}`,
    channel,
  };
}

export const conv2dIgemmTemplate = gemmTemplate({
  name: 'conv2d_igemm',
  op: 'conv2d',
  description: 'implicit GEMM (im2col in registers): block/thread tiles, K stages, double buffering, split-K',
  applies: (w) => w.op === 'conv2d',
  knobOptions(w) {
    const g = convGemmShape(w);
    const vec = g.kd % 4 === 0 || (g.pointwise && g.pixels % 4 === 0);
    return { M: g.M, N: g.kpg, K: g.kd, splitK: true, vec };
  },
  problem: (w: Workload, c: Config) => convGemmProblem(w, vecOf(c)),
  prologue: (w, names) => convGemmPrologue(w, names.lhs, names.rhs),
  site: convGemmSite,
  mFastest: true,
});
