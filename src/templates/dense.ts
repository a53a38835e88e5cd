/**
 * dense: out[m, n] = x[m, :] . weight[n, :] on the tiled GEMM core. Both operands are contiguous
 * in k, so 128-bit loads apply to both when k is a multiple of 4. At batch 1 it is a GEMV: one row
 * per block, wide n tiles, and split-K over grid.z put enough blocks in flight to stream W at
 * DRAM speed.
 */
import type { Workload } from '../ops/index.js';
import { epilogueOpsPerElement, workloadBytes } from '../ops/index.js';
import type { Config } from '../space/index.js';
import { epilogueBytes } from './epilogue.js';
import type { GemmProblem } from './gemm-core.js';
import { vecOf } from './gemm-space.js';
import { gemmTemplate } from './gemm-template.js';

function shapeOf(w: Workload) {
  if (w.op !== 'dense') throw new Error('dense template on a non-dense workload');
  return w.shape;
}

export const denseTemplate = gemmTemplate({
  name: 'dense',
  op: 'dense',
  description: 'tiled SIMT GEMM x . W^T: block/thread tiles, split-K, shared-memory staging, float4 loads',
  applies: (w) => w.op === 'dense',
  knobOptions(w) {
    const s = shapeOf(w);
    return { M: s.m, N: s.n, K: s.k, splitK: true, vec: s.k % 4 === 0 };
  },
  problem(w: Workload, c: Config): GemmProblem {
    const s = shapeOf(w);
    const vec = vecOf(c) && s.k % 4 === 0 ? 4 : 1;
    const outputs = s.m * s.n;
    return {
      M: s.m,
      N: s.n,
      K: s.k,
      extra: 1,
      batch: 1,
      a: { kind: 'rowK', base: 'A_', ld: s.k, vec },
      b: { kind: 'rowK', base: 'B_', ld: s.k, vec },
      outputs,
      aBytes: 4 * s.m * s.k,
      bBytes: 4 * s.n * s.k,
      aReuse: 1,
      dramBytes: workloadBytes(w),
      epilogueFlops: outputs * epilogueOpsPerElement(w.epilogue),
      epilogueBytes: epilogueBytes(w, outputs, s.n),
    };
  },
  prologue: (_w, names) => `const float* A_ = ${names.lhs}; const float* B_ = ${names.rhs};`,
  site: (w, m, n) => ({ index: `${m} * ${shapeOf(w).n} + ${n}`, channel: n }),
  mFastest: false,
});
