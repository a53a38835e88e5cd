/**
 * Small helpers shared by every kernel writer: argument binding, the kernel signature, entry
 * names and integer math that mirrors what the generated code does.
 */
import type { Workload } from '../ops/index.js';
import { kernelArgs, workloadKey } from '../ops/index.js';
import type { Config } from '../space/types.js';
import { SlicetuneError } from '../util/errors.js';
import { hashOf, stableStringify } from '../util/hash.js';

/** C identifiers of a workload's kernel parameters, by role (all prefixed `p_`, so no clashes). */
export interface ArgNames {
  /** data/weight (conv2d), x/weight (dense), a/b (batch_matmul). */
  lhs: string;
  rhs: string;
  scale?: string;
  shift?: string;
  bias?: string;
  residual?: string;
  out: string;
}

function cIdent(name: string): string {
  return `p_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * Binds the canonical argument list of ops/tensors.ts to roles by position: two main inputs,
 * scale and shift (bn), bias, residual, then the output. Kernels pass arguments by position, so
 * the binding is only right if the order is; a different count is an internal error.
 */
export function bindArgs(w: Workload): ArgNames {
  const args = kernelArgs(w);
  const inputs = args.filter((a) => a.kind === 'buffer' && a.role === 'input').map((a) => cIdent(a.name));
  const outputs = args.filter((a) => a.kind === 'buffer' && a.role === 'output').map((a) => cIdent(a.name));
  const e = w.epilogue;
  const expected = 2 + (e.bnScaleShift ? 2 : 0) + (e.bias ? 1 : 0) + (e.residual ? 1 : 0);
  if (inputs.length !== expected || outputs.length !== 1) {
    throw new SlicetuneError(
      'INTERNAL',
      `templates: ${w.op} has ${inputs.length} inputs and ${outputs.length} outputs, expected ${expected} and 1`,
    );
  }
  let i = 2;
  const names: ArgNames = { lhs: inputs[0] as string, rhs: inputs[1] as string, out: outputs[0] as string };
  if (e.bnScaleShift) {
    names.scale = inputs[i++] as string;
    names.shift = inputs[i++] as string;
  }
  if (e.bias) names.bias = inputs[i++] as string;
  if (e.residual) names.residual = inputs[i++] as string;
  return names;
}

/**
 * `extern "C" __global__ void __launch_bounds__(threads) entry(...)` with the workload's canonical
 * arguments: inputs `const float* __restrict__`, the output `float* __restrict__`, scalars by value.
 */
export function kernelSignature(w: Workload, entry: string, threads: number): string {
  const params = kernelArgs(w).map((a) => {
    if (a.kind === 'scalar') return `${a.ctype} ${cIdent(a.name)}`;
    return a.role === 'input'
      ? `const float* __restrict__ ${cIdent(a.name)}`
      : `float* __restrict__ ${cIdent(a.name)}`;
  });
  // (threads, 1): the compiler may use every register one block of this size can have. Without
  // the explicit 1, ptxas (CUDA 13) was seen spilling small blocks at 56 registers.
  return `extern "C" __global__ void __launch_bounds__(${threads}, 1) ${entry}(\n    ${params.join(',\n    ')})`;
}

/** Entry name unique to (template, workload, config): identical sources get identical names. */
export function entryName(template: string, w: Workload, config: Config): string {
  return `${template}_${hashOf(workloadKey(w), stableStringify(config))}`;
}

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function powersOfTwoUpTo(limit: number, from = 1): number[] {
  const out: number[] = [];
  for (let p = from; p <= limit; p *= 2) out.push(p);
  return out;
}

/** Largest divisor of n that is at most `limit` (1 when none above 1). */
export function divisorUpTo(n: number, limit: number): number {
  for (let d = Math.max(1, Math.min(n, Math.floor(limit))); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/** Joins code lines, indenting every line of each block by `indent` spaces. */
export function indentLines(code: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return code
    .split('\n')
    .map((l) => (l.length > 0 ? pad + l : l))
    .join('\n');
}

/** `#pragma unroll` or `#pragma unroll 1` (explicitly rolled), for knobs that decide unrolling. */
export function unrollPragma(unroll: boolean): string {
  return unroll ? '#pragma unroll' : '#pragma unroll 1';
}

/** Throws when a generated launch has a zero or oversized grid (a template bug, never user input). */
export function checkGrid(template: string, grid: readonly [number, number, number]): void {
  const [x, y, z] = grid;
  if (!(x >= 1 && y >= 1 && z >= 1 && x <= 2 ** 31 - 1 && y <= 65535 && z <= 65535)) {
    throw new SlicetuneError('INTERNAL', `${template}: grid [${grid.join(', ')}] is outside CUDA's limits`);
  }
}
