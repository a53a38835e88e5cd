/**
 * Elementwise fixed kernels: binary ops with NumPy/ONNX broadcasting (a scalar, a per-channel
 * vector, a bias row, two full tensors) and the unary activations. One thread per output element
 * in a grid-stride loop; IEEE fp32 (no fast math), so results round like the CPU reference's.
 */

import type { KernelSource } from '../../gpu/types.js';
import { SlicetuneError } from '../../util/errors.js';
import { broadcastShapes, broadcastStrides, stridesOf } from '../../util/shape.js';
import {
  bufferArg,
  coalesce,
  decodeC,
  elementsOf,
  fixedKernel,
  floatC,
  gridStrideBlocks,
  gridStrideLoop,
  type IterationSpace,
  offsetC,
  streamingModel,
} from './common.js';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow';
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow'];

const BINARY_C: Record<BinaryOp, (a: string, b: string) => string> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  pow: (a, b) => `powf(${a}, ${b})`,
};

/** The iteration space of a broadcasting binary op: maps a, b, out over the output's elements. */
export function broadcastSpace(a: readonly number[], b: readonly number[]): IterationSpace {
  const out = broadcastShapes(a, b);
  if (!out) throw new SlicetuneError('BAD_SHAPE', `fixed kernels: shapes [${a}] and [${b}] do not broadcast`);
  return coalesce(out, [
    { strides: broadcastStrides(a, out), offset: 0 },
    { strides: broadcastStrides(b, out), offset: 0 },
    { strides: stridesOf(out), offset: 0 },
  ]);
}

/** out = a <op> b with broadcasting; arguments a, b, out. */
export function binaryKernel(
  op: BinaryOp,
  aShape: readonly number[],
  bShape: readonly number[],
): KernelSource {
  const space = broadcastSpace(aShape, bShape);
  const total = elementsOf(space.shape);
  const expr = BINARY_C[op](`p_a[${offsetC(space, 0)}]`, `p_b[${offsetC(space, 1)}]`);
  const body = `${decodeC(space, 'idx')} p_out[idx] = ${expr};`;
  const aElems = elementsOf(aShape);
  const bElems = elementsOf(bShape);
  return fixedKernel({
    op,
    params: { a: aShape, b: bShape },
    args: [
      bufferArg('a', aElems, 'input'),
      bufferArg('b', bElems, 'input'),
      bufferArg('out', total, 'output'),
    ],
    body: gridStrideLoop(total, body),
    grid: gridStrideBlocks(total),
    model: streamingModel(4 * (aElems + bElems + total), total * (op === 'pow' ? 8 : 1)),
  });
}

export type UnaryOp = 'relu' | 'clip' | 'gelu' | 'erf' | 'sqrt' | 'copy';
export const UNARY_OPS: readonly UnaryOp[] = ['relu', 'clip', 'gelu', 'erf', 'sqrt', 'copy'];

export interface UnaryParams {
  /** Clip's bounds (ReLU6 is clip to [0, 6]); either may be infinite. */
  min?: number;
  max?: number;
}

function unaryExpr(op: UnaryOp, x: string, p: UnaryParams): string {
  switch (op) {
    case 'relu':
      return `fmaxf(${x}, 0.0f)`;
    case 'clip':
      return `fminf(fmaxf(${x}, ${floatC(p.min ?? Number.NEGATIVE_INFINITY)}), ${floatC(p.max ?? Number.POSITIVE_INFINITY)})`;
    case 'gelu':
      // GELU with erf (approximate = none): 0.5 x (1 + erf(x / sqrt 2)).
      return `0.5f * ${x} * (1.0f + erff(${x} * 0.707106781f))`;
    case 'erf':
      return `erff(${x})`;
    case 'sqrt':
      return `sqrtf(${x})`;
    case 'copy':
      return x;
  }
}

/** out[i] = f(x[i]) over `elements` values; arguments x, out. */
export function unaryKernel(op: UnaryOp, elements: number, params: UnaryParams = {}): KernelSource {
  if (op === 'clip' && (params.min ?? Number.NEGATIVE_INFINITY) > (params.max ?? Number.POSITIVE_INFINITY)) {
    throw new SlicetuneError('BAD_OPTION', `fixed kernels: clip min ${params.min} > max ${params.max}`);
  }
  const value = 'const float v = p_x[idx];';
  const body = `${value} p_out[idx] = ${unaryExpr(op, 'v', params)};`;
  const flopsPer = op === 'gelu' || op === 'erf' ? 20 : op === 'copy' ? 0 : 2;
  return fixedKernel({
    op,
    params: op === 'clip' ? { elements, min: params.min ?? null, max: params.max ?? null } : { elements },
    args: [bufferArg('x', elements, 'input'), bufferArg('out', elements, 'output')],
    body: gridStrideLoop(elements, body),
    grid: gridStrideBlocks(elements),
    model: streamingModel(8 * elements, flopsPer * elements),
  });
}

/** A plain copy of `elements` floats (what a copy-only node needs). */
export function copyKernel(elements: number): KernelSource {
  return unaryKernel('copy', elements);
}
