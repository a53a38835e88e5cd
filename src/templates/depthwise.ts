/**
 * depthwise_conv2d (groups = c = k): one channel per thread row, a spatial tile per block. The
 * block stages each of its channels' input tile with its halo, and the channels' R x S weights,
 * in shared memory; each thread computes an inner tile of outputs of one channel from there.
 * Memory-bound by nature (R*S multiply-adds per input element), so the knobs mostly trade halo
 * overhead (bigger tiles) against blocks in flight (smaller tiles).
 */
import type { DeviceInfo, KernelModel, KernelSource } from '../gpu/types.js';
import type { Workload } from '../ops/index.js';
import { conv2dOutput, epilogueOpsPerElement, isDepthwise, kernelArgs, workloadBytes, workloadKey } from '../ops/index.js';
import type { Config, ConfigSpace } from '../space/index.js';
import { boolValue, defineSpace, splitValue } from '../space/index.js';
import { SlicetuneError } from '../util/errors.js';
import { bindArgs, ceilDiv, checkGrid, divisorUpTo, entryName, kernelSignature, unrollPragma } from './cuda.js';
import { epilogueBytes, epilogueStore } from './epilogue.js';
import { launchProblem, MIN_THREADS, modelRegs } from './limits.js';
import { computeEfficiency } from './model.js';
import type { Template } from './types.js';

const NAME = 'depthwise_conv2d';

function geometry(w: Workload) {
  if (w.op !== 'conv2d') throw new Error('depthwise template on a non-conv2d workload');
  const s = w.shape;
  return { s, ...conv2dOutput(s) };
}

function plan(w: Workload, c: Config) {
  const { s, oh, ow } = geometry(w);
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
    regs: iy * ix + 26 + (explicit ? 2 * inTrips : 4) + (unrollTaps ? Math.min(s.r * s.s - 1, 3) * (iy * ix + 1) : 0),
  };
}
type Plan = ReturnType<typeof plan>;

function problem(w: Workload, c: Config, device: DeviceInfo): string | null {
  const p = plan(w, c);
  if (p.explicit && p.inTrips > 64) return `${p.inTrips} load rounds are too many to unroll explicitly`;
  const minThreads = Math.min(MIN_THREADS, p.s.c * p.oh * p.ow);
  if (p.threads < minThreads) return `${p.threads} threads per block, fewer than ${minThreads}`;
  const threads = Math.max(p.threads, MIN_THREADS);
  return launchProblem({ threads, sharedBytes: p.sharedBytes, regsPerThread: p.regs }, device);
}

function code(w: Workload, p: Plan, entry: string): string {
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
  return `// slicetune ${NAME} for ${workloadKey(w)}
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

function model(w: Workload, p: Plan, device: DeviceInfo): KernelModel {
  const s = p.s;
  const outputs = s.n * s.c * p.oh * p.ow;
  const blocks = p.grid[0];
  const taps = s.r * s.s;
  const eff = computeEfficiency(
    { fma: p.iy * p.ix, sharedLoads: 1 + p.iy * p.ix, sharedWavefronts: 1 + p.iy * p.ix, otherInstr: p.unrollTaps ? 0 : 2 },
    { innerSteps: taps, loadInstr: (p.inTrips + 1) * 14, barriers: 1, doubleBuffered: false },
  );
  const dram = workloadBytes(w);
  const traffic = 4 * blocks * (p.tc * p.inRows * p.inCols + p.wFloats) + 4 * outputs + epilogueBytes(w, outputs, s.k);
  return {
    flops: 2 * blocks * p.tc * p.ty * p.iy * p.tx * p.ix * taps + outputs * epilogueOpsPerElement(w.epilogue),
    dramBytes: dram,
    trafficBytes: Math.max(dram, traffic),
    regsPerThread: modelRegs(p.regs, p.threads, device),
    sharedBytesPerBlock: p.sharedBytes,
    computeEfficiency: eff,
  };
}

function space(w: Workload, device: DeviceInfo): ConfigSpace {
  if (!isDepthwise(w)) throw new SlicetuneError('UNSUPPORTED_OP', `${NAME} does not apply to ${workloadKey(w)}`);
  const { s, oh, ow } = geometry(w);
  return defineSpace({
    name: `${NAME} ${workloadKey(w)}`,
    knobs: [
      { kind: 'split', name: 'tile_c', extent: s.c, parts: 2, maxFactors: [null, 64] },
      { kind: 'split', name: 'tile_y', extent: oh, parts: 3, maxFactors: [null, null, 8] },
      { kind: 'split', name: 'tile_x', extent: ow, parts: 3, maxFactors: [null, null, 8] },
      { kind: 'bool', name: 'unroll_taps' },
      { kind: 'bool', name: 'unroll_explicit' },
    ],
    constraints: [(c) => problem(w, c, device)],
    features: (c) => {
      const p = plan(w, c);
      const m = model(w, p, device);
      return { threads: p.threads, regs: m.regsPerThread, shared_kb: p.sharedBytes / 1024, blocks: p.grid[0], traffic_mb: m.trafficBytes / 2 ** 20 };
    },
  });
}


export const depthwiseConv2dTemplate: Template = {
  name: NAME,
  op: 'conv2d',
  description: 'depthwise conv (groups = c = k): channel per thread row, spatial tile, shared-memory halo',
  tensorCore: false,
  applies: isDepthwise,
  space,
  defaultConfig(w, device) {
    const { s, oh, ow } = geometry(w);
    const sp = space(w, device);
    for (const [target, inner] of [[128, 2], [64, 1], [32, 1]] as const) {
      const tx = divisorUpTo(ow, 32);
      const ty = divisorUpTo(oh, Math.max(1, target / tx));
      const ix = divisorUpTo(ow / tx, inner);
      const iy = divisorUpTo(oh / ty, inner);
      const tc = divisorUpTo(s.c, Math.max(1, target / (tx * ty)));
      const base = {
        tile_c: [s.c / tc, tc],
        tile_y: [oh / (ty * iy), ty, iy],
        tile_x: [ow / (tx * ix), tx, ix],
        unroll_taps: true,
      };
      for (const c of [{ ...base, unroll_explicit: true }, { ...base, unroll_explicit: false }]) if (sp.isValid(c)) return c;
    }
    for (const c of sp.enumerate()) return c;
    throw new SlicetuneError('INTERNAL', `${NAME}: no valid config for ${workloadKey(w)}`);
  },
  generate(w, config, device): KernelSource {
    const reason = space(w, device).invalidReason(config);
    if (reason !== null) throw new SlicetuneError('BAD_OPTION', `${NAME}: invalid config for ${workloadKey(w)}: ${reason}`);
    const p = plan(w, config);
    const entry = entryName(NAME, w, config);
    checkGrid(NAME, p.grid);
    return {
      entry,
      code: code(w, p, entry),
      grid: p.grid,
      block: [p.threads, 1, 1],
      dynamicSharedBytes: p.sharedBytes,
      args: kernelArgs(w),
      computes: workloadKey(w),
      model: model(w, p, device),
    };
  },
};
