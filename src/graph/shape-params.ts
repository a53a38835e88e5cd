/**
 * Parameters of the shape-changing operators (reshape targets, permutations, split sizes, slice
 * bounds, reduce axes), read once and shared by shape inference and the reference kernels.
 */
import { SlicetuneError } from '../util/errors.js';
import {
  attrInt,
  attrInts,
  type DType,
  describeNode,
  type GraphNode,
  numel,
  type TensorValue,
} from './ir.js';
import { normalizeAxis } from './shape-util.js';

/** What a rule may ask about its inputs. `value` is defined only for constants. */
export interface RuleInputs {
  node: GraphNode;
  shapes: (number[] | undefined)[];
  dtypes: (DType | undefined)[];
  value(index: number): TensorValue | undefined;
}

export interface OutInfo {
  shape: number[];
  dtype: DType;
}

export function fail(node: GraphNode, what: string): never {
  throw new SlicetuneError('BAD_MODEL', `${describeNode(node)}: ${what}`);
}

export function shapeAt(r: RuleInputs, i: number): number[] {
  const s = r.shapes[i];
  if (!s) fail(r.node, `input ${i} is missing`);
  return s;
}

/** A constant integer input (shape, axes, starts ...), as numbers; undefined when absent. */
export function constInts(r: RuleInputs, i: number, what: string): number[] | undefined {
  const name = r.node.inputs[i];
  if (name === undefined || name === '') return undefined;
  const v = r.value(i);
  if (!v) fail(r.node, `cannot resolve the shape: ${what} ('${name}') is not a constant`);
  return Array.from(v.data, (x) => Math.trunc(x));
}

export function reshapeTarget(node: GraphNode, x: readonly number[], spec: readonly number[]): number[] {
  const allowZero = attrInt(node, 'allowzero', 0) === 1;
  const out = spec.map((d, i) => (d === 0 && !allowZero ? (x[i] ?? 0) : d));
  const unknown = out.indexOf(-1);
  if (unknown >= 0) {
    const known = numel(out.filter((_, i) => i !== unknown));
    out[unknown] = known === 0 ? 0 : numel(x) / known;
  }
  if (!out.every((d) => Number.isInteger(d) && d >= 0) || numel(out) !== numel(x)) {
    fail(node, `cannot reshape [${x}] to [${spec}]`);
  }
  return out;
}

export function permOf(node: GraphNode, rank: number): number[] {
  const perm = attrInts(node, 'perm', undefined) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    fail(node, `perm [${perm}] is not a permutation of rank ${rank}`);
  }
  return perm;
}

/** Sizes of Split's pieces along its axis (split input, split attribute, or equal parts). */
export function splitSizes(r: RuleInputs, axisLen: number): number[] {
  const given = constInts(r, 1, 'the split sizes') ?? attrInts(r.node, 'split', undefined);
  const parts = r.node.outputs.length;
  if (given) {
    if (given.length !== parts || given.reduce((a, b) => a + b, 0) !== axisLen) {
      fail(r.node, `split sizes [${given}] do not cover ${axisLen} in ${parts} parts`);
    }
    return given;
  }
  const piece = Math.ceil(axisLen / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(piece, axisLen - i * piece)));
}

/** Resolved Slice parameters: per axis of the input, start and step and count. */
export function sliceParams(r: RuleInputs): { start: number[]; step: number[]; count: number[] } {
  const x = shapeAt(r, 0);
  const starts = constInts(r, 1, 'starts') ?? fail(r.node, 'starts are missing');
  const ends = constInts(r, 2, 'ends') ?? fail(r.node, 'ends are missing');
  const axes = constInts(r, 3, 'axes') ?? starts.map((_, i) => i);
  const steps = constInts(r, 4, 'steps') ?? starts.map(() => 1);
  const start = x.map(() => 0);
  const step = x.map(() => 1);
  const count = [...x];
  axes.forEach((axisRaw, i) => {
    const axis = normalizeAxis(r.node, axisRaw, x.length);
    const dim = x[axis] ?? 0;
    const st = steps[i] ?? 1;
    if (st === 0) fail(r.node, 'a slice step of 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const b = st > 0 ? clamp(starts[i] ?? 0, 0, dim) : clamp(starts[i] ?? 0, -1, dim - 1);
    const e = st > 0 ? clamp(ends[i] ?? dim, 0, dim) : clamp(ends[i] ?? -1, -1, dim - 1);
    start[axis] = b;
    step[axis] = st;
    count[axis] = Math.max(0, Math.ceil((e - b) / st));
  });
  return { start, step, count };
}

function reduceAxes(r: RuleInputs, rank: number): number[] {
  const axes = constInts(r, 1, 'axes') ?? attrInts(r.node, 'axes', undefined);
  if (!axes || axes.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => normalizeAxis(r.node, a, rank));
}

export function reduceParams(r: RuleInputs): { axes: number[]; keep: boolean } {
  return { axes: reduceAxes(r, shapeAt(r, 0).length), keep: attrInt(r.node, 'keepdims', 1) === 1 };
}

export function unsqueezeShape(r: RuleInputs): number[] {
  const x = shapeAt(r, 0);
  const axes =
    constInts(r, 1, 'axes') ?? attrInts(r.node, 'axes', undefined) ?? fail(r.node, 'axes are missing');
  const rank = x.length + axes.length;
  const norm = axes.map((a) => normalizeAxis(r.node, a, rank));
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : (x[next++] ?? 0));
  return out;
}

export function squeezeShape(r: RuleInputs): number[] {
  const x = shapeAt(r, 0);
  const axes = constInts(r, 1, 'axes') ?? attrInts(r.node, 'axes', undefined);
  const drop = axes
    ? axes.map((a) => normalizeAxis(r.node, a, x.length))
    : x.flatMap((d, i) => (d === 1 ? [i] : []));
  if (drop.some((a) => x[a] !== 1)) fail(r.node, `cannot squeeze axes [${drop}] of [${x}]`);
  return x.filter((_, i) => !drop.includes(i));
}
