/** Writes depthwise_conv2d's CUDA C from its plan (depthwise-plan.ts). */
import type { Workload } from '../ops/index.js';
import { workloadKey } from '../ops/index.js';
import { bindArgs, kernelSignature, unrollPragma } from './cuda.js';
import type { DepthwisePlan } from './depthwise-plan.js';
import { epilogueStore } from './epilogue.js';

export function depthwiseKernelCode(w: Workload, p: DepthwisePlan, entry: string): string {
  const s = p.s;
  const names = bindArgs(w);
  const total = p.tc * p.inRows * p.inCols;
  const body = `const int cl = e / ${p.inRows * p.inCols}; const int rem = e - cl * ${p.inRows * p.inCols};
      const int yy = rem / ${p.inCols}; const int xx = rem - yy * ${p.inCols};
      const int ch = c0 + cl; const int ih = ih0 + yy; const int iw = iw0 + xx;
      s_in[(cl * ${p.inRows} + yy) * ${p.inPitch} + xx] = (ch < ${s.c} && (unsigned)ih < ${s.h}u && (unsigned)iw < ${s.w}u)
        ? __ldg(&${names.lhs}[((img * ${s.c} + ch) * ${s.h} + ih) * ${s.w} + iw]) : 0.0f;`;
  const loadIn = p.explicit
    ? `#pragma unroll
  for (int i = 0; i < ${p.inTrips}; ++i) {
    const int e = threadIdx.x + i * ${p.threads};
    ${total % p.threads === 0 ? '' : `if (e < ${total}) `}{ ${body} }
  }`
    : `#pragma unroll 1
  for (int e = threadIdx.x; e < ${total}; e += ${p.threads}) { ${body} }`;
  return `// slicetune depthwise_conv2d for ${workloadKey(w)}
// channels ${p.tc} per block, tile y ${p.ty}x${p.iy}, x ${p.tx}x${p.ix}
${kernelSignature(w, entry, p.threads)} {
  extern __shared__ __align__(16) float smem[];
  float* s_in = smem;
  float* s_w = smem + ${p.inFloats};
  const int tx = threadIdx.x % ${p.tx};
  const int ty = (threadIdx.x / ${p.tx}) % ${p.ty};
  const int tc = threadIdx.x / ${p.tx * p.ty};
  int bid = blockIdx.x;
  const int ox0 = (bid % ${p.xBlocks}) * ${p.tx * p.ix}; bid /= ${p.xBlocks};
  const int oy0 = (bid % ${p.yBlocks}) * ${p.ty * p.iy}; bid /= ${p.yBlocks};
  const int c0 = (bid % ${p.cBlocks}) * ${p.tc};
  const int img = bid / ${p.cBlocks};
  const int ih0 = oy0 * ${s.strideH} - ${s.padH};
  const int iw0 = ox0 * ${s.strideW} - ${s.padW};
  ${loadIn}
  for (int e = threadIdx.x; e < ${p.wFloats}; e += ${p.threads}) {
    const int ch = c0 + e / ${s.r * s.s};
    s_w[e] = ch < ${s.c} ? __ldg(&${names.rhs}[ch * ${s.r * s.s} + e % ${s.r * s.s}]) : 0.0f;
  }
  __syncthreads();
  float acc[${p.iy}][${p.ix}];
  #pragma unroll
  for (int a = 0; a < ${p.iy}; ++a) {
    #pragma unroll
    for (int b = 0; b < ${p.ix}; ++b) acc[a][b] = 0.0f;
  }
  const float* si = s_in + (tc * ${p.inRows} + ty * ${p.iy * s.strideH}) * ${p.inPitch} + tx * ${p.ix * s.strideW};
  const float* sw = s_w + tc * ${s.r * s.s};
  ${unrollPragma(p.unrollTaps)}
  for (int ry = 0; ry < ${s.r}; ++ry) {
    ${unrollPragma(p.unrollTaps)}
    for (int rx = 0; rx < ${s.s}; ++rx) {
      const float wv = sw[ry * ${s.s} + rx];
      #pragma unroll
      for (int a = 0; a < ${p.iy}; ++a) {
        #pragma unroll
        for (int b = 0; b < ${p.ix}; ++b)
          acc[a][b] = fmaf(wv, si[(a * ${s.strideH} + ry * ${s.dilationH}) * ${p.inPitch} + b * ${s.strideW} + rx * ${s.dilationW}], acc[a][b]);
      }
    }
  }
  const int ch = c0 + tc;
  #pragma unroll
  for (int a = 0; a < ${p.iy}; ++a) {
    const int oy = oy0 + ty * ${p.iy} + a;
    #pragma unroll
    for (int b = 0; b < ${p.ix}; ++b) {
      const int ox = ox0 + tx * ${p.ix} + b;
      if (ch < ${s.c} && oy < ${p.oh} && ox < ${p.ow}) {
        const int idx = ((img * ${s.c} + ch) * ${p.oh} + oy) * ${p.ow} + ox;
        ${epilogueStore(w, names, { acc: 'acc[a][b]', channel: 'ch', index: 'idx' })}
      }
    }
  }
}
`;
}
