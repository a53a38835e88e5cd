/** Output shapes of every supported operator, one rule per op (ONNX opset-17 semantics). */
import type { Workload } from '../ops/types.js';
import { SlicetuneError } from '../util/errors.js';
import { convOutShape, window2d } from './conv-attrs.js';
import { attrInt, attrInts, describeNode, type DType, type GraphNode, numel, type TensorValue } from './ir.js';
import { broadcastShapes, normalizeAxis, windowOut } from './shape-util.js';

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

type Rule = (r: RuleInputs) => OutInfo[];

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

const same: Rule = (r) => [{ shape: [...shapeAt(r, 0)], dtype: r.dtypes[0] ?? 'f32' }];

const broadcast: Rule = (r) => {
  let shape = shapeAt(r, 0);
  for (let i = 1; i < r.node.inputs.length; i++) {
    const next = broadcastShapes(shape, shapeAt(r, i));
    if (!next) fail(r.node, `shapes [${shape}] and [${shapeAt(r, i)}] do not broadcast`);
    shape = next;
  }
  return [{ shape, dtype: r.dtypes[0] ?? 'f32' }];
};

function tunable(r: RuleInputs): OutInfo[] {
  const w: Workload | undefined = r.node.workload;
  if (!w) fail(r.node, 'a tunable node needs its workload');
  const x = shapeAt(r, 0);
  if (w.op === 'conv2d') return [{ shape: convOutShape(w.shape), dtype: 'f32' }];
  return [{ shape: [...x.slice(0, -1), w.shape.n], dtype: 'f32' }];
}

function matmul(r: RuleInputs): OutInfo[] {
  const a = shapeAt(r, 0);
  const b = shapeAt(r, 1);
  if (a.length < 2 || b.length < 2) fail(r.node, `MatMul of 1-D operands ([${a}], [${b}]) is not supported`);
  const k = a[a.length - 1];
  if (k !== b[b.length - 2]) fail(r.node, `inner dimensions of [${a}] and [${b}] differ`);
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
  if (!batch) fail(r.node, `batch dimensions of [${a}] and [${b}] do not broadcast`);
  return [{ shape: [...batch, a[a.length - 2] ?? 0, b[b.length - 1] ?? 0], dtype: 'f32' }];
}

function gemm(r: RuleInputs): OutInfo[] {
  const a = shapeAt(r, 0);
  const b = shapeAt(r, 1);
  if (a.length !== 2 || b.length !== 2) fail(r.node, `Gemm needs 2-D operands, got [${a}] and [${b}]`);
  const [m, ka] = attrInt(r.node, 'transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = attrInt(r.node, 'transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
  if (ka !== kb) fail(r.node, `inner dimensions of [${a}] and [${b}] differ`);
  return [{ shape: [m ?? 0, n ?? 0], dtype: 'f32' }];
}

function conv(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  const w = shapeAt(r, 1);
  if (x.length !== 4 || w.length !== 4) fail(r.node, `only 2-D convolutions are supported ([${x}], [${w}])`);
  const win = window2d(r.node, x[2] ?? 0, x[3] ?? 0, [w[2] ?? 1, w[3] ?? 1]);
  const oh = windowOut(x[2] ?? 0, win.kernel[0], win.strides[0], win.pads[0], win.pads[2], win.dilations[0]);
  const ow = windowOut(x[3] ?? 0, win.kernel[1], win.strides[1], win.pads[1], win.pads[3], win.dilations[1]);
  return [{ shape: [x[0] ?? 0, w[0] ?? 0, oh, ow], dtype: 'f32' }];
}

function pool(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  if (x.length !== 4) fail(r.node, `only 2-D pooling on NCHW is supported, got [${x}]`);
  const win = window2d(r.node, x[2] ?? 0, x[3] ?? 0);
  const ceil = attrInt(r.node, 'ceil_mode', 0) === 1;
  const oh = windowOut(x[2] ?? 0, win.kernel[0], win.strides[0], win.pads[0], win.pads[2], win.dilations[0], ceil);
  const ow = windowOut(x[3] ?? 0, win.kernel[1], win.strides[1], win.pads[1], win.pads[3], win.dilations[1], ceil);
  return [{ shape: [x[0] ?? 0, x[1] ?? 0, oh, ow], dtype: 'f32' }];
}

function globalPool(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  return [{ shape: [...x.slice(0, 2), ...x.slice(2).map(() => 1)], dtype: 'f32' }];
}

function flatten(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  const axis = attrInt(r.node, 'axis', 1);
  const a = axis < 0 ? axis + x.length : axis;
  return [{ shape: [numel(x.slice(0, a)), numel(x.slice(a))], dtype: r.dtypes[0] ?? 'f32' }];
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

function reshape(r: RuleInputs): OutInfo[] {
  const spec = constInts(r, 1, 'the target shape') ?? fail(r.node, 'the target shape is missing');
  return [{ shape: reshapeTarget(r.node, shapeAt(r, 0), spec), dtype: r.dtypes[0] ?? 'f32' }];
}

export function permOf(node: GraphNode, rank: number): number[] {
  const perm = attrInts(node, 'perm', undefined) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    fail(node, `perm [${perm}] is not a permutation of rank ${rank}`);
  }
  return perm;
}

function transpose(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  return [{ shape: permOf(r.node, x.length).map((p) => x[p] ?? 0), dtype: r.dtypes[0] ?? 'f32' }];
}

function concat(r: RuleInputs): OutInfo[] {
  const first = shapeAt(r, 0);
  const axis = normalizeAxis(r.node, attrInt(r.node, 'axis', 0), first.length);
  const out = [...first];
  for (let i = 1; i < r.node.inputs.length; i++) {
    const s = shapeAt(r, i);
    if (s.length !== first.length || s.some((d, j) => j !== axis && d !== first[j])) {
      fail(r.node, `cannot concatenate [${first}] and [${s}] on axis ${axis}`);
    }
    out[axis] = (out[axis] ?? 0) + (s[axis] ?? 0);
  }
  return [{ shape: out, dtype: r.dtypes[0] ?? 'f32' }];
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

function split(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  const axis = normalizeAxis(r.node, attrInt(r.node, 'axis', 0), x.length);
  return splitSizes(r, x[axis] ?? 0).map((len) => {
    const shape = [...x];
    shape[axis] = len;
    return { shape, dtype: r.dtypes[0] ?? 'f32' };
  });
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

function reduce(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  const { axes, keep } = reduceParams(r);
  const shape = keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
  return [{ shape, dtype: 'f32' }];
}

function shapeOp(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  const start = attrInt(r.node, 'start', 0);
  const end = attrInt(r.node, 'end', x.length);
  return [{ shape: [x.slice(start, end).length], dtype: 'i64' }];
}

function gather(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  const idx = shapeAt(r, 1);
  const axis = normalizeAxis(r.node, attrInt(r.node, 'axis', 0), x.length);
  return [{ shape: [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)], dtype: r.dtypes[0] ?? 'f32' }];
}

export function unsqueezeShape(r: RuleInputs): number[] {
  const x = shapeAt(r, 0);
  const axes = constInts(r, 1, 'axes') ?? attrInts(r.node, 'axes', undefined) ?? fail(r.node, 'axes are missing');
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
  const drop = axes ? axes.map((a) => normalizeAxis(r.node, a, x.length)) : x.flatMap((d, i) => (d === 1 ? [i] : []));
  if (drop.some((a) => x[a] !== 1)) fail(r.node, `cannot squeeze axes [${drop}] of [${x}]`);
  return x.filter((_, i) => !drop.includes(i));
}

function cast(r: RuleInputs): OutInfo[] {
  const to = attrInt(r.node, 'to', 1);
  const dtype: DType = to === 1 || to === 11 || to === 10 ? 'f32' : 'i64';
  return [{ shape: [...shapeAt(r, 0)], dtype }];
}

export const SHAPE_RULES: Record<string, Rule> = {
  conv2d: tunable,
  dense: tunable,
  batch_matmul: tunable,
  Conv: conv,
  Gemm: gemm,
  MatMul: matmul,
  Add: broadcast,
  Sub: broadcast,
  Mul: broadcast,
  Div: broadcast,
  Pow: broadcast,
  Relu: same,
  Clip: same,
  Erf: same,
  Sqrt: same,
  Gelu: same,
  Identity: same,
  Dropout: same,
  Softmax: same,
  LayerNormalization: same,
  BatchNormalization: same,
  MaxPool: pool,
  AveragePool: pool,
  GlobalAveragePool: globalPool,
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: (r) => [{ shape: sliceParams(r).count, dtype: r.dtypes[0] ?? 'f32' }],
  ReduceMean: reduce,
  Shape: shapeOp,
  Gather: gather,
  Unsqueeze: (r) => [{ shape: unsqueezeShape(r), dtype: r.dtypes[0] ?? 'f32' }],
  Squeeze: (r) => [{ shape: squeezeShape(r), dtype: r.dtypes[0] ?? 'f32' }],
  Cast: cast,
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(SHAPE_RULES);
