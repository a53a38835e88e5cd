/**
 * batch_matmul: out[b] = a[b] . B[b] (B stored [k][n], or [n][k] when transB) on the tiled GEMM
 * core, one GEMM per grid.z. Transposed B is contiguous in k like A; plain B is contiguous in n
 * and is staged without a transpose. 128-bit loads where the contiguous extent allows.
 */
import type { Workload } from '../ops/index.js';
import { epilogueOpsPerElement, workloadBytes } from '../ops/index.js';
import type { Config } from '../space/index.js';
import { epilogueBytes } from './epilogue.js';
import type { GemmProblem } from './gemm-core.js';
import { vecOf } from './gemm-space.js';
import { gemmTemplate } from './gemm-template.js';

function shapeOf(w: Workload) {
  if (w.op !== 'batch_matmul') throw new Error('batch_matmul template on another workload');
  return w.shape;
}

export const batchMatmulTemplate = gemmTemplate({
  name: 'batch_matmul',
  op: 'batch_matmul',
  description: 'tiled SIMT GEMM per batch (grid.z): block/thread tiles, shared-memory staging, float4 loads',
  applies: (w) => w.op === 'batch_matmul' && w.shape.b <= 65535,
  knobOptions(w) {
    const s = shapeOf(w);
    const vec = s.k % 4 === 0 || (!s.transB && s.n % 4 === 0);
    return { M: s.m, N: s.n, K: s.k, splitK: false, vec };
  },
  problem(w: Workload, c: Config): GemmProblem {
    const s = shapeOf(w);
    const vec = vecOf(c);
    const aVec = vec && s.k % 4 === 0 ? 4 : 1;
    const bVec = vec && (s.transB ? s.k % 4 === 0 : s.n % 4 === 0) ? 4 : 1;
    const outputs = s.b * s.m * s.n;
    return {
      M: s.m,
      N: s.n,
      K: s.k,
      extra: 1,
      batch: s.b,
      a: { kind: 'rowK', base: 'A_', ld: s.k, vec: aVec },
      b: s.transB
        ? { kind: 'rowK', base: 'B_', ld: s.k, vec: bVec }
        : { kind: 'kRow', base: 'B_', ld: s.n, vec: bVec },
      outputs,
      aBytes: 4 * s.b * s.m * s.k,
      bBytes: 4 * s.b * s.n * s.k,
      aReuse: 1,
      dramBytes: workloadBytes(w),
      epilogueFlops: outputs * epilogueOpsPerElement(w.epilogue),
      epilogueBytes: epilogueBytes(w, outputs, s.n),
    };
  },
  prologue(w, names) {
    const s = shapeOf(w);
    return `const float* A_ = ${names.lhs} + blk_z * ${s.m * s.k}; const float* B_ = ${names.rhs} + blk_z * ${s.k * s.n};`;
  },
  site(w, m, n) {
    const s = shapeOf(w);
    return { index: `(blk_z * ${s.m} + ${m}) * ${s.n} + ${n}`, channel: n };
  },
  mFastest: false,
});
