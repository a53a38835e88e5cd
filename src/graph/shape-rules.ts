/** Output shapes of every supported operator, one rule per op (ONNX opset-17 semantics). */
import type { Workload } from '../ops/types.js';
import { convOutShape, window2d } from './conv-attrs.js';
import { attrInt, type DType, numel } from './ir.js';
import {
  constInts,
  fail,
  type OutInfo,
  permOf,
  type RuleInputs,
  reduceParams,
  reshapeTarget,
  shapeAt,
  sliceParams,
  splitSizes,
  squeezeShape,
  unsqueezeShape,
} from './shape-params.js';
import { broadcastShapes, normalizeAxis, windowOut } from './shape-util.js';

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
  const oh = windowOut(
    x[2] ?? 0,
    win.kernel[0],
    win.strides[0],
    win.pads[0],
    win.pads[2],
    win.dilations[0],
    ceil,
  );
  const ow = windowOut(
    x[3] ?? 0,
    win.kernel[1],
    win.strides[1],
    win.pads[1],
    win.pads[3],
    win.dilations[1],
    ceil,
  );
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

function reshape(r: RuleInputs): OutInfo[] {
  const spec = constInts(r, 1, 'the target shape') ?? fail(r.node, 'the target shape is missing');
  return [{ shape: reshapeTarget(r.node, shapeAt(r, 0), spec), dtype: r.dtypes[0] ?? 'f32' }];
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

function split(r: RuleInputs): OutInfo[] {
  const x = shapeAt(r, 0);
  const axis = normalizeAxis(r.node, attrInt(r.node, 'axis', 0), x.length);
  return splitSizes(r, x[axis] ?? 0).map((len) => {
    const shape = [...x];
    shape[axis] = len;
    return { shape, dtype: r.dtypes[0] ?? 'f32' };
  });
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

function cast(r: RuleInputs): OutInfo[] {
  const to = attrInt(r.node, 'to', 1);
  const dtype: DType = to === 1 || to === 11 || to === 10 ? 'f32' : 'i64';
  return [{ shape: [...shapeAt(r, 0)], dtype }];
}

type Rule = (r: RuleInputs) => OutInfo[];

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
