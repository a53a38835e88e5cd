/** Small CUDA kernels for the CUDA backend's GPU tests; all take (a, b, c, n). */
import type { KernelSource } from '../../src/gpu/types.js';

const SIGNATURE = '(const float* a, const float* b, float* c, int n)';

export const CODE = {
  vadd: `extern "C" __global__ void vadd${SIGNATURE} {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}`,
  /** n dependent multiply-adds per thread: compute-bound, its time scales with the SMs. */
  busy: `extern "C" __global__ void busy${SIGNATURE} {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  float x = a[i % n];
  for (int k = 0; k < n; k++) x = x * 0.999f + 0.001f;
  c[i % n] = x;
}`,
  /** Writes through a bad pointer: CUDA_ERROR_ILLEGAL_ADDRESS, which poisons the context. */
  fault: `extern "C" __global__ void fault${SIGNATURE} {
  float* bad = (float*)0x10;
  bad[threadIdx.x] = a[0];
}`,
  /** Never finishes. */
  hang: `extern "C" __global__ void hang${SIGNATURE} {
  volatile int k = 0;
  while (k >= 0) k = (k + 1) & 0xffff;
  c[0] = (float)k;
}`,
  /** 64 live floats per thread and no launch bounds: too many registers for 1024 threads. */
  regs: `extern "C" __global__ void regs${SIGNATURE} {
  float v[64];
  for (int j = 0; j < 64; j++) v[j] = a[j * n + threadIdx.x];
  float s = 0.0f;
  for (int j = 0; j < 64; j++) for (int q = 0; q < 64; q++) s += v[j] * v[q];
  c[threadIdx.x] = s;
}`,
} as const;

export type KernelName = keyof typeof CODE;

/** A KernelSource for kernel `name` over n elements (256 threads per block unless overridden). */
export function kernel(name: KernelName, n: number, extra: Partial<KernelSource> = {}): KernelSource {
  return {
    entry: name,
    code: CODE[name],
    grid: [Math.max(1, Math.ceil(n / 256)), 1, 1],
    block: [256, 1, 1],
    dynamicSharedBytes: 0,
    args: [
      { kind: 'buffer', name: 'a', dtype: 'f32', elements: n, role: 'input' },
      { kind: 'buffer', name: 'b', dtype: 'f32', elements: n, role: 'input' },
      { kind: 'buffer', name: 'c', dtype: 'f32', elements: n, role: 'output' },
      { kind: 'scalar', name: 'n', ctype: 'int', value: n },
    ],
    computes: `test:${name}:${n}`,
    model: {
      flops: n,
      dramBytes: 12 * n,
      regsPerThread: 16,
      sharedBytesPerBlock: 0,
      computeEfficiency: 0.5,
      trafficBytes: 12 * n,
    },
    ...extra,
  };
}
