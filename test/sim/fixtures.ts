/** Kernels for the simulated GPU's tests: shapes and models chosen to hit one effect each. */
import type { KernelArg, KernelModel, KernelSource } from '../../src/gpu/types.js';

export interface KernelShape {
  entry?: string;
  grid?: number;
  threads?: number;
  dynamicSharedBytes?: number;
  elements?: number;
  computes?: string;
  model?: Partial<KernelModel>;
}

/** A kernel `out = f(a, b)` over `elements` floats, with a source the simulated compiler accepts. */
export function makeKernel(shape: KernelShape = {}): KernelSource {
  const entry = shape.entry ?? 'vec_kernel';
  const elements = shape.elements ?? 1024;
  const args: KernelArg[] = [
    { kind: 'buffer', name: 'a', dtype: 'f32', elements, role: 'input' },
    { kind: 'buffer', name: 'b', dtype: 'f32', elements, role: 'input' },
    { kind: 'buffer', name: 'out', dtype: 'f32', elements, role: 'output' },
    { kind: 'scalar', name: 'n', ctype: 'int', value: elements },
  ];
  return {
    entry,
    code: [
      `extern "C" __global__ void ${entry}(const float* a, const float* b, float* out, int n) {`,
      '  int i = blockIdx.x * blockDim.x + threadIdx.x;',
      '  if (i < n) { out[i] = a[i] * b[i]; }',
      '}',
    ].join('\n'),
    grid: [shape.grid ?? 4, 1, 1],
    block: [shape.threads ?? 256, 1, 1],
    dynamicSharedBytes: shape.dynamicSharedBytes ?? 0,
    args,
    computes: shape.computes ?? `mul:${elements}`,
    model: {
      flops: elements,
      dramBytes: elements * 12,
      trafficBytes: elements * 12,
      regsPerThread: 32,
      sharedBytesPerBlock: 0,
      computeEfficiency: 0.8,
      ...shape.model,
    },
  };
}

/** Compute-bound: 20 MFLOP per block and little traffic (8192 blocks: a few ms on the whole device). */
export function computeBound(grid = 8192, model: Partial<KernelModel> = {}): KernelSource {
  return makeKernel({
    grid,
    threads: 256,
    model: {
      flops: grid * 2e7,
      dramBytes: 64e6,
      trafficBytes: 256e6,
      regsPerThread: 64,
      computeEfficiency: 0.7,
      ...model,
    },
  });
}

/** Memory-bound: a 1 GiB copy, no arithmetic to speak of. */
export function memoryBound(): KernelSource {
  const bytes = 2 ** 30;
  return makeKernel({
    grid: 65536,
    threads: 256,
    model: { flops: 2 ** 28, dramBytes: bytes, trafficBytes: bytes },
  });
}
