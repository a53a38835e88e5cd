/** Writes conv2d_direct's CUDA C from its plan (conv2d-direct-plan.ts). */
import type { Workload } from '../ops/index.js';
import type { DirectPlan } from './conv2d-direct-plan.js';
import { type ArgNames, kernelSignature, unrollPragma } from './cuda.js';
import { epilogueStore } from './epilogue.js';
import { splitKAccumulate, splitKArrive, splitKDeclarations, splitKTake } from './splitk.js';

/** A cooperative block-wide loop over `total` elements, unrolled with a guard or strided. */
function cooperative(total: number, threads: number, explicit: boolean, body: string): string {
  if (explicit) {
    const trips = Math.ceil(total / threads);
    const guard = total % threads === 0 ? '' : `if (e < ${total}) `;
    return `#pragma unroll
    for (int i = 0; i < ${trips}; ++i) {
      const int e = threadIdx.x + i * ${threads};
      ${guard}{ ${body} }
    }`;
  }
  return `#pragma unroll 1
    for (int e = threadIdx.x; e < ${total}; e += ${threads}) { ${body} }`;
}

/** Which of the inner reduction loops (ci, ry, rx) auto_unroll_max_step unrolls, innermost first. */
function innerUnroll(p: DirectPlan): { ci: boolean; ry: boolean; rx: boolean } {
  const step = p.unrollStep;
  return {
    rx: step > 0 && p.rxi <= step,
    ry: step > 0 && p.ryi * p.rxi <= step,
    ci: step > 0 && p.rci * p.ryi * p.rxi <= step,
  };
}

function weightLoads(p: DirectPlan): string {
  const lines: string[] = [];
  const { v, t, i } = p.k;
  for (let vk = 0; vk < v; vk++) {
    for (let c = 0; c < i / p.wVec; c++) {
      const at = `sw[${vk * t * i + c * p.wVec}]`;
      const kt = vk * i + c * p.wVec;
      if (p.wVec === 4) {
        lines.push(
          `{ const float4 q = *reinterpret_cast<const float4*>(&${at}); wv[${kt}] = q.x; wv[${kt + 1}] = q.y; wv[${kt + 2}] = q.z; wv[${kt + 3}] = q.w; }`,
        );
      } else if (p.wVec === 2) {
        lines.push(
          `{ const float2 q = *reinterpret_cast<const float2*>(&${at}); wv[${kt}] = q.x; wv[${kt + 1}] = q.y; }`,
        );
      } else {
        lines.push(`wv[${kt}] = ${at};`);
      }
    }
  }
  return lines.join('\n          ');
}

export function directKernelCode(
  w: Workload,
  p: DirectPlan,
  names: ArgNames,
  entry: string,
  comment: string,
): string {
  const s = p.s;
  const { k, y, x } = p;
  const kt = k.perThread;
  const yt = y.perThread;
  const xt = x.perThread;
  const crsT = p.rci * p.ryi * p.rxi;
  const inTotal = p.rci * p.inRows * p.inCols;
  const wTotal = crsT * k.perBlock;
  const u = innerUnroll(p);
  const loadIn = cooperative(
    inTotal,
    p.threads,
    p.unrollExplicit,
    `const int ci = e / ${p.inRows * p.inCols}; const int rem = e - ci * ${p.inRows * p.inCols};
      const int yy = rem / ${p.inCols}; const int xx = rem - yy * ${p.inCols};
      const int c = c0 + ci; const int ih = ih0 + yy; const int iw = iw0 + xx;
      s_in[(ci * ${p.inRows} + yy) * ${p.inPitch} + xx] =
        (c < ${p.cpg} && (unsigned)ih < ${s.h}u && (unsigned)iw < ${s.w}u) ? __ldg(&in_g[(c * ${s.h} + ih) * ${s.w} + iw]) : 0.0f;`,
  );
  const loadW = cooperative(
    wTotal,
    p.threads,
    p.unrollExplicit,
    `const int kk = e / ${crsT}; const int rem = e - kk * ${crsT};
      const int ci = rem / ${p.ryi * p.rxi}; const int t = rem - ci * ${p.ryi * p.rxi};
      const int ry = r0 + t / ${p.rxi}; const int rx = s0 + t % ${p.rxi};
      const int kg = k0 + kk; const int c = c0 + ci;
      s_w[rem * ${p.wPitch} + kk] =
        (kg < ${p.kpg} && c < ${p.cpg} && ry < ${s.r} && rx < ${s.s}) ? __ldg(&w_g[((kg * ${p.cpg} + c) * ${s.r} + ry) * ${s.s} + rx]) : 0.0f;`,
  );
  const inputRead = (yi: string, xi: string) =>
    `si[((${yi}) / ${y.i} * ${y.t * y.i} + (${yi}) % ${y.i}) * ${s.strideH * p.inPitch} + ((${xi}) / ${x.i} * ${x.t * x.i} + (${xi}) % ${x.i}) * ${s.strideW}]`;
  const compute = `${unrollPragma(u.ci)}
      for (int ci = 0; ci < ${p.rci}; ++ci) {
        ${unrollPragma(u.ry)}
        for (int ry = 0; ry < ${p.ryi}; ++ry) {
          ${unrollPragma(u.rx)}
          for (int rx = 0; rx < ${p.rxi}; ++rx) {
          const float* sw = s_w + ((ci * ${p.ryi} + ry) * ${p.rxi} + rx) * ${p.wPitch} + tk * ${k.i};
          const float* si = s_in + (ci * ${p.inRows} + ry * ${s.dilationH}) * ${p.inPitch} + rx * ${s.dilationW} + t_in;
          float wv[${kt}], xv[${yt}][${xt}];
          ${weightLoads(p)}
          #pragma unroll
          for (int a = 0; a < ${yt}; ++a) {
            #pragma unroll
            for (int b = 0; b < ${xt}; ++b) xv[a][b] = ${inputRead('a', 'b')};
          }
          #pragma unroll
          for (int f = 0; f < ${kt}; ++f) {
            #pragma unroll
            for (int a = 0; a < ${yt}; ++a) {
              #pragma unroll
              for (int b = 0; b < ${xt}; ++b) acc[f][a][b] = fmaf(wv[f], xv[a][b], acc[f][a][b]);
            }
          }
        }
      }
    }`;
  const eachOutput = (body: (index: string, channel: string) => string) => `#pragma unroll
  for (int f = 0; f < ${kt}; ++f) {
    const int kg = k0 + f / ${k.i} * ${k.t * k.i} + tk * ${k.i} + f % ${k.i};
    #pragma unroll
    for (int a = 0; a < ${yt}; ++a) {
      const int oy = oy0 + a / ${y.i} * ${y.t * y.i} + ty * ${y.i} + a % ${y.i};
      #pragma unroll
      for (int b = 0; b < ${xt}; ++b) {
        const int ox = ox0 + b / ${x.i} * ${x.t * x.i} + tx * ${x.i} + b % ${x.i};
        if (kg < ${p.kpg} && oy < ${p.oh} && ox < ${p.ow}) {
          const int idx = ((img * ${s.k} + g * ${p.kpg} + kg) * ${p.oh} + oy) * ${p.ow} + ox;
          ${body('idx', `(g * ${p.kpg} + kg)`)}
        }
      }
    }
  }`;
  const outputs = s.n * s.k * p.oh * p.ow;
  const split = p.splitRc > 1;
  const stores = split
    ? `${eachOutput((i) => splitKAccumulate(i, 'acc[f][a][b]'))}
  ${splitKArrive('blockIdx.x', p.splitRc)}
  ${eachOutput((i, ch) => `${splitKTake(i, 'sum_')} ${epilogueStore(w, names, { acc: 'sum_', channel: ch, index: i })}`)}`
    : eachOutput((i, ch) => epilogueStore(w, names, { acc: 'acc[f][a][b]', channel: ch, index: i }));
  return `// slicetune ${comment}
// tile k ${k.v}x${k.t}x${k.i}, y ${y.v}x${y.t}x${y.i}, x ${x.v}x${x.t}x${x.i}; rc ${p.rco}x${p.rci}, ry ${p.ryo}x${p.ryi}, rx ${p.rxo}x${p.rxi}; split_rc ${p.splitRc}
${split ? splitKDeclarations(outputs, p.grid[0]) : ''}
${kernelSignature(w, entry, p.threads)} {
  extern __shared__ __align__(16) float smem[];
  float* s_in = smem;
  float* s_w = smem + ${p.inFloats};
  const int tx = threadIdx.x % ${x.t};
  const int ty = (threadIdx.x / ${x.t}) % ${y.t};
  const int tk = threadIdx.x / ${x.t * y.t};
  int bid = blockIdx.x;
  const int ox0 = (bid % ${x.blocks}) * ${x.perBlock}; bid /= ${x.blocks};
  const int oy0 = (bid % ${y.blocks}) * ${y.perBlock}; bid /= ${y.blocks};
  const int k0 = (bid % ${k.blocks}) * ${k.perBlock}; bid /= ${k.blocks};
  const int g = bid % ${s.groups};
  const int img = bid / ${s.groups};
  const float* in_g = ${names.lhs} + (img * ${s.c} + g * ${p.cpg}) * ${s.h * s.w};
  const float* w_g = ${names.rhs} + g * ${p.kpg * p.cpg * s.r * s.s};
  const int t_in = ty * ${y.i * s.strideH * p.inPitch} + tx * ${x.i * s.strideW};
  float acc[${kt}][${yt}][${xt}];
  #pragma unroll
  for (int f = 0; f < ${kt}; ++f) {
    #pragma unroll
    for (int a = 0; a < ${yt}; ++a) {
      #pragma unroll
      for (int b = 0; b < ${xt}; ++b) acc[f][a][b] = 0.0f;
    }
  }
  const int rco_begin = blockIdx.z * ${p.rcoPerSplit};
  const int rco_end = min(${p.rco}, rco_begin + ${p.rcoPerSplit});
  #pragma unroll 1
  for (int rco = rco_begin; rco < rco_end; ++rco) {
    #pragma unroll 1
    for (int ryo = 0; ryo < ${p.ryo}; ++ryo) {
      #pragma unroll 1
      for (int rxo = 0; rxo < ${p.rxo}; ++rxo) {
      const int c0 = rco * ${p.rci};
      const int r0 = ryo * ${p.ryi};
      const int s0 = rxo * ${p.rxi};
      const int ih0 = oy0 * ${s.strideH} - ${s.padH} + r0 * ${s.dilationH};
      const int iw0 = ox0 * ${s.strideW} - ${s.padW} + s0 * ${s.dilationW};
      __syncthreads();
      ${loadIn}
      ${loadW}
      __syncthreads();
      ${compute}
      }
    }
  }
  ${stores}
}
`;
}
