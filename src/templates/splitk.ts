/**
 * Split-K across blocks without a workspace argument: the blocks of one output tile add their
 * partial sums into a module-level fp32 workspace with atomics, and the last block to arrive
 * (a per-tile ticket, the CUDA samples' threadFenceReduction pattern) reads the sums back, zeroes
 * the workspace for the next launch, applies the epilogue and writes `out`. No block ever waits
 * for another, so the scheme cannot deadlock however the blocks are scheduled. The module's
 * `__device__` arrays start zeroed and are left zeroed, so one module must not run two launches
 * at once (the runner and the runtime launch a kernel on one stream).
 */

/** Largest output (elements) a split-K kernel may have: its workspace is a module global. */
export const SPLIT_K_MAX_OUTPUTS = 1 << 22;

export function splitKDeclarations(outputs: number, tiles: number): string {
  return [`__device__ float sk_ws[${outputs}];`, `__device__ unsigned int sk_ticket[${tiles}];`].join('\n');
}

/** Statement adding one partial sum to the workspace. */
export function splitKAccumulate(index: string, acc: string): string {
  return `atomicAdd(&sk_ws[${index}], ${acc});`;
}

/**
 * Statements after the partial sums: every block but the tile's last returns; the last one falls
 * through to the final store loop. `tile` is this block's tile number in [0, tiles).
 */
export function splitKArrive(tile: string, splits: number): string {
  return `__shared__ int sk_is_last;
__threadfence();
__syncthreads();
if (threadIdx.x == 0) {
  const unsigned int ticket = atomicAdd(&sk_ticket[${tile}], 1u);
  sk_is_last = (ticket == ${splits - 1}u);
  if (sk_is_last) sk_ticket[${tile}] = 0u;
}
__syncthreads();
if (!sk_is_last) return;
__threadfence();`;
}

/** Statement reading a finished sum into `name` and zeroing its workspace slot (L2, not L1). */
export function splitKTake(index: string, name: string): string {
  return `const float ${name} = __ldcg(&sk_ws[${index}]); __stcg(&sk_ws[${index}], 0.0f);`;
}

/**
 * The output stage of a GEMM-shaped kernel: without split-K, the epilogue stores each
 * accumulator; with it, every block adds its partial sums, the last block of the tile takes the
 * totals and stores them through the epilogue. `eachOutput` wraps a body in the kernel's loops
 * over its outputs; `acc` names the accumulator there.
 */
export function splitKStores(
  splitK: number,
  eachOutput: (body: (site: { index: string; channel: string }) => string) => string,
  acc: string,
  store: (site: { index: string; channel: string; acc: string }) => string,
): string {
  if (splitK <= 1) return eachOutput((s) => store({ ...s, acc }));
  return `${eachOutput((s) => `{ ${splitKAccumulate(s.index, acc)} }`)}
  ${splitKArrive('blockIdx.x', splitK)}
  ${eachOutput((s) => `{ ${splitKTake(s.index, 'sum_')} ${store({ ...s, acc: 'sum_' })} }`)}`;
}
