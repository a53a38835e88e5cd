/**
 * The reference kernel: the obviously-correct CUDA kernel the checker treats as the truth on the
 * GPU. One thread per output element (grid-stride loop), the reduction in the order of the
 * definition, fp32 accumulation, bounds checked tap by tap, the shared epilogue. Same arguments
 * as every template's kernel.
 */
import type { KernelModel, KernelSource } from '../gpu/types.js';
import type { Workload } from '../ops/index.js';
import {
  conv2dOutput,
  elementsOf,
  kernelArgs,
  outputShape,
  workloadBytes,
  workloadFlops,
  workloadKey,
} from '../ops/index.js';
import { bindArgs, ceilDiv, kernelSignature } from './cuda.js';
import { epilogueStore } from './epilogue.js';

const THREADS = 256;
/** Enough blocks to fill any current GPU several times over; the loop strides past the rest. */
const MAX_BLOCKS = 8192;

function reductionBody(
  w: Workload,
  lhs: string,
  rhs: string,
): { decode: string; reduce: string; channel: string } {
  switch (w.op) {
    case 'conv2d': {
      const s = w.shape;
      const { oh, ow } = conv2dOutput(s);
      const cpg = s.c / s.groups;
      const kpg = s.k / s.groups;
      return {
        decode: `const int ox = idx % ${ow}; int t = idx / ${ow};
    const int oy = t % ${oh}; t /= ${oh};
    const int k = t % ${s.k}; const int img = t / ${s.k};
    const int g = k / ${kpg};`,
        reduce: `for (int c = 0; c < ${cpg}; ++c) {
      for (int ry = 0; ry < ${s.r}; ++ry) {
        const int ih = oy * ${s.strideH} - ${s.padH} + ry * ${s.dilationH};
        if (ih < 0 || ih >= ${s.h}) continue;
        for (int rx = 0; rx < ${s.s}; ++rx) {
          const int iw = ox * ${s.strideW} - ${s.padW} + rx * ${s.dilationW};
          if (iw < 0 || iw >= ${s.w}) continue;
          acc += ${lhs}[((img * ${s.c} + g * ${cpg} + c) * ${s.h} + ih) * ${s.w} + iw]
               * ${rhs}[((k * ${cpg} + c) * ${s.r} + ry) * ${s.s} + rx];
        }
      }
    }`,
        channel: 'k',
      };
    }
    case 'dense': {
      const s = w.shape;
      return {
        decode: `const int col = idx % ${s.n}; const int row = idx / ${s.n};`,
        reduce: `for (int kk = 0; kk < ${s.k}; ++kk) acc += ${lhs}[row * ${s.k} + kk] * ${rhs}[col * ${s.k} + kk];`,
        channel: 'col',
      };
    }
    case 'batch_matmul': {
      const s = w.shape;
      const bIndex = s.transB ? `(bat * ${s.n} + col) * ${s.k} + kk` : `(bat * ${s.k} + kk) * ${s.n} + col`;
      return {
        decode: `const int col = idx % ${s.n}; const int row = (idx / ${s.n}) % ${s.m}; const int bat = idx / ${s.m * s.n};`,
        reduce: `for (int kk = 0; kk < ${s.k}; ++kk) acc += ${lhs}[(bat * ${s.m} + row) * ${s.k} + kk] * ${rhs}[${bIndex}];`,
        channel: 'col',
      };
    }
  }
}

export function referenceKernel(w: Workload): KernelSource {
  const names = bindArgs(w);
  const total = elementsOf(outputShape(w));
  const entry = `reference_${w.op}`;
  const body = reductionBody(w, names.lhs, names.rhs);
  const store = epilogueStore(w, names, { acc: 'acc', channel: body.channel, index: 'idx' });
  const code = `// slicetune reference kernel for ${workloadKey(w)}
${kernelSignature(w, entry, THREADS)} {
  for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < ${total}; idx += gridDim.x * blockDim.x) {
    ${body.decode}
    float acc = 0.0f;
    ${body.reduce}
    ${store}
  }
}
`;
  const blocks = Math.max(1, Math.min(MAX_BLOCKS, ceilDiv(total, THREADS)));
  const flops = workloadFlops(w);
  const model: KernelModel = {
    flops,
    dramBytes: workloadBytes(w),
    // Every thread streams its whole reduction from L2 (no reuse beyond L1 hits).
    trafficBytes: Math.max(workloadBytes(w), 4 * flops),
    regsPerThread: 32,
    sharedBytesPerBlock: 0,
    computeEfficiency: 0.05,
  };
  return {
    entry,
    code,
    grid: [blocks, 1, 1],
    block: [THREADS, 1, 1],
    dynamicSharedBytes: 0,
    args: kernelArgs(w),
    computes: workloadKey(w),
    model,
  };
}
