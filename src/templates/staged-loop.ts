/**
 * The main loop shared by the GEMM-shaped kernels (fp32 and TF32): each K tile of A and B is
 * loaded from global memory into registers and stored to shared memory, then consumed by
 * `compute`. With double buffering the next tile's global loads are issued before the current
 * tile is computed, so their latency hides behind the math.
 */

/** A loaded operand: its global loads (a statement) and how to store them into a stage. */
export interface StagedOperand {
  load: string;
  store: (stage: string) => string;
}

export interface StagedLoop {
  a: StagedOperand;
  b: StagedOperand;
  /** Floats of A in one stage (B follows it). */
  bOffset: number;
  kTiles: number;
  bk: number;
  stageFloats: number;
  doubleBuffer: boolean;
  /** Code that consumes one stage (`stage` names a `float*` to it). */
  compute: (stage: string) => string;
}

export function stagedMainLoop(l: StagedLoop): string {
  const loadStage = (k0: string) => `{ const int k0 = ${k0};
      ${l.a.load}
      ${l.b.load}
    }`;
  const storeStage = (stage: string) => `${l.a.store(stage)}
    ${l.b.store(`(${stage} + ${l.bOffset})`)}`;
  if (l.doubleBuffer) {
    return `${loadStage('k_begin')}
  ${storeStage('smem')}
  __syncthreads();
  #pragma unroll 1
  for (int kt = 0; kt < ${l.kTiles}; ++kt) {
    float* cur = smem + (kt & 1) * ${l.stageFloats};
    float* nxt = smem + ((kt + 1) & 1) * ${l.stageFloats};
    if (kt + 1 < ${l.kTiles}) ${loadStage(`k_begin + (kt + 1) * ${l.bk}`)}
    ${l.compute('cur')}
    if (kt + 1 < ${l.kTiles}) {
    ${storeStage('nxt')}
    }
    __syncthreads();
  }`;
  }
  return `#pragma unroll 1
  for (int kt = 0; kt < ${l.kTiles}; ++kt) {
    ${loadStage(`k_begin + kt * ${l.bk}`)}
    ${storeStage('smem')}
    __syncthreads();
    ${l.compute('smem')}
    __syncthreads();
  }`;
}
