/**
 * Synthetic kernels for the engine's tests and benchmarks (bench/slices, test/measure):
 * a compute-bound FMA kernel in many variants (same function, different launch shapes and
 * unrolling, so each variant is its own binary), and two planted misbehaving kernels: one that
 * writes through a wild pointer (illegal address) and one that never ends.
 */
import type { KernelArg, KernelSource } from '../../src/gpu/types.js';

export interface FmaShape {
  /** Output elements; one thread each. */
  elements: number;
  /** Multiply-adds per chain; each thread runs 8 independent chains. */
  iters: number;
}

const CHAINS = 8;

function args(elements: number): KernelArg[] {
  return [
    { kind: 'buffer', name: 'x', dtype: 'f32', elements, role: 'input' },
    { kind: 'buffer', name: 'out', dtype: 'f32', elements, role: 'output' },
  ];
}

function computes(shape: FmaShape): string {
  return `bench.fma.e${shape.elements}.i${shape.iters}`;
}

function fmaBody(shape: FmaShape, unroll: number, entry: string, prelude = ''): string {
  return `extern "C" __global__ void ${entry}(const float* __restrict__ x, float* __restrict__ out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= ${shape.elements}) return;
  ${prelude}
  float v = x[i];
  float y[${CHAINS}];
  #pragma unroll
  for (int c = 0; c < ${CHAINS}; c++) y[c] = v + 0.01f * c;
  #pragma unroll ${unroll}
  for (int it = 0; it < ${shape.iters}; it++) {
    #pragma unroll
    for (int c = 0; c < ${CHAINS}; c++) y[c] = fmaf(y[c], 0.999f, 0.001f);
  }
  float s = 0.0f;
  #pragma unroll
  for (int c = 0; c < ${CHAINS}; c++) s += y[c];
  out[i] = s;
}
`;
}

function source(
  shape: FmaShape,
  entry: string,
  code: string,
  threads: number,
  behavior?: 'fault' | 'hang',
): KernelSource {
  const flops = shape.elements * shape.iters * CHAINS * 2;
  return {
    entry,
    code,
    grid: [Math.ceil(shape.elements / threads), 1, 1],
    block: [threads, 1, 1],
    dynamicSharedBytes: 0,
    args: args(shape.elements),
    computes: computes(shape),
    model: {
      flops,
      dramBytes: shape.elements * 8,
      trafficBytes: shape.elements * 8,
      regsPerThread: 32,
      sharedBytesPerBlock: 0,
      computeEfficiency: 0.9,
      ...(behavior ? { simBehavior: behavior } : {}),
    },
  };
}

/** Variants of the same function: block sizes 64..1024 and unroll factors give distinct binaries. */
export function fmaVariant(shape: FmaShape, variant: number): KernelSource {
  const blocks = [64, 128, 256, 512, 1024, 96, 160, 192, 224, 288, 320, 384, 448, 640, 768, 896];
  const unrolls = [1, 2, 4, 8, 16];
  const threads = blocks[variant % blocks.length] as number;
  const unroll = unrolls[Math.floor(variant / blocks.length) % unrolls.length] as number;
  const entry = `fma_v${variant}`;
  // The comment makes every variant's source (and so its binary) distinct.
  const code = `// variant ${variant}: ${threads} threads, unroll ${unroll}\n${fmaBody(shape, unroll, entry)}`;
  return source(shape, entry, code, threads);
}

/** The trusted reference for the FMA function. */
export function fmaReference(shape: FmaShape): KernelSource {
  return source(shape, 'fma_reference', fmaBody(shape, 1, 'fma_reference'), 256);
}

/** Writes through a wild pointer: CUDA_ERROR_ILLEGAL_ADDRESS. */
export function faultKernel(shape: FmaShape): KernelSource {
  const prelude = 'if (i == 0) { float* wild = (float*)0x10; wild[threadIdx.x] = 1.0f; }';
  return source(shape, 'fma_fault', fmaBody(shape, 1, 'fma_fault', prelude), 256, 'fault');
}

/** Never finishes: spins on a volatile read of its input (random data is never NaN). */
export function hangKernel(shape: FmaShape): KernelSource {
  const prelude = 'volatile const float* vx = x; while (vx[i] == vx[i]) { }';
  return source(shape, 'fma_hang', fmaBody(shape, 1, 'fma_hang', prelude), 256, 'hang');
}
