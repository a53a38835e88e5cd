/**
 * The operators that are not tuned, lowered to fixed kernels (templates/fixed) or to an alias:
 * a node whose output is its input reinterpreted (Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity, Dropout at inference, a Cast to f32 of f32) runs no kernel and shares the buffer.
 */
import type { KernelSource } from '../gpu/types.js';
import { window2d } from '../graph/conv-attrs.js';
import {
  attrFloat,
  attrInt,
  attrString,
  type DType,
  describeNode,
  type GraphNode,
  numel,
  type TensorValue,
} from '../graph/ir.js';
import { permOf, type RuleInputs, sliceParams, splitSizes } from '../graph/shape-params.js';
import { normalizeAxis } from '../graph/shape-util.js';
import {
  type BinaryOp,
  binaryKernel,
  concatKernels,
  globalAvgPoolKernel,
  layerNormKernel,
  pool2dKernel,
  sliceKernel,
  softmaxKernel,
  splitKernels,
  transposeKernel,
  type UnaryOp,
  unaryKernel,
} from '../templates/fixed/index.js';
import { SlicetuneError } from '../util/errors.js';

export interface TensorLookup {
  shape(name: string): number[];
  dtype(name: string): DType;
  /** The value of a constant (initializer), else undefined. */
  constant(name: string): TensorValue | undefined;
}

export type Lowering = { alias: string } | { launches: { source: KernelSource; tensors: string[] }[] };

const ALIAS_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Cast']);
const BINARY: Record<string, BinaryOp> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Pow: 'pow' };
const UNARY: Record<string, UnaryOp> = { Relu: 'relu', Gelu: 'gelu', Erf: 'erf', Sqrt: 'sqrt' };

/** Operators the runtime runs without tuning (besides the tunable conv2d, dense, batch_matmul). */
export const FIXED_OPS: readonly string[] = [
  ...ALIAS_OPS,
  ...Object.keys(BINARY),
  ...Object.keys(UNARY),
  'Clip',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Softmax',
  'LayerNormalization',
  'Transpose',
  'Slice',
  'Split',
  'Concat',
];

function unsupported(node: GraphNode, why: string): never {
  throw new SlicetuneError('UNSUPPORTED_OP', `${describeNode(node)}: ${why}`);
}

function one(source: KernelSource, tensors: string[]): Lowering {
  return { launches: [{ source, tensors }] };
}

function ruleInputs(node: GraphNode, t: TensorLookup): RuleInputs {
  return {
    node,
    shapes: node.inputs.map((n) => (n === '' ? undefined : t.shape(n))),
    dtypes: node.inputs.map((n) => (n === '' ? undefined : t.dtype(n))),
    value: (i) => {
      const name = node.inputs[i];
      return name ? t.constant(name) : undefined;
    },
  };
}

/** Clip's bounds: inputs 1 and 2 (opset >= 11) or attributes min and max (older opsets). */
function clipBounds(node: GraphNode, t: TensorLookup): { min: number; max: number } {
  const bound = (i: number, attr: string, fallback: number) => {
    const name = node.inputs[i];
    if (name) {
      const v = t.constant(name);
      if (!v) unsupported(node, `the clip bound '${name}' is not a constant`);
      return v.data[0] ?? fallback;
    }
    return attrFloat(node, attr, fallback);
  };
  return { min: bound(1, 'min', Number.NEGATIVE_INFINITY), max: bound(2, 'max', Number.POSITIVE_INFINITY) };
}

function pool(node: GraphNode, x: number[], out: number[]): KernelSource {
  const [n = 1, c = 1, h = 1, w = 1] = x;
  const win = window2d(node, h, w);
  return pool2dKernel({
    kind: node.op === 'MaxPool' ? 'max' : 'avg',
    n,
    c,
    h,
    w,
    oh: out[2] ?? 1,
    ow: out[3] ?? 1,
    kernel: win.kernel,
    strides: win.strides,
    pads: win.pads,
    dilations: win.dilations,
    countIncludePad: attrInt(node, 'count_include_pad', 0) === 1,
  });
}

/** The fixed kernels (or the alias) of one non-tunable node. */
export function lowerFixedNode(node: GraphNode, t: TensorLookup): Lowering {
  const x = node.inputs[0] ?? '';
  const out = node.outputs[0] ?? '';
  if (x === '' || out === '') unsupported(node, 'a node without its first input or output');
  for (const o of node.outputs)
    if (o !== '' && t.dtype(o) !== 'f32') unsupported(node, `output '${o}' is not f32`);
  if (ALIAS_OPS.has(node.op)) {
    if (node.op === 'Dropout' && node.outputs.slice(1).some((o) => o !== '')) {
      unsupported(node, 'the dropout mask output is not supported');
    }
    if (t.dtype(x) !== 'f32') unsupported(node, `input '${x}' is not f32`);
    return { alias: x };
  }
  const xs = t.shape(x);
  const binary = BINARY[node.op];
  if (binary) {
    const b = node.inputs[1] ?? '';
    return one(binaryKernel(binary, xs, t.shape(b)), [x, b, out]);
  }
  const unary = UNARY[node.op];
  if (unary) {
    if (node.op === 'Gelu' && attrString(node, 'approximate', 'none') !== 'none') {
      unsupported(node, "only the erf GELU (approximate = 'none') is supported");
    }
    return one(unaryKernel(unary, numel(xs)), [x, out]);
  }
  switch (node.op) {
    case 'Clip':
      return one(unaryKernel('clip', numel(xs), clipBounds(node, t)), [x, out]);
    case 'MaxPool':
    case 'AveragePool':
      if (node.outputs.length > 1 && node.outputs[1] !== '')
        unsupported(node, 'MaxPool indices are not supported');
      return one(pool(node, xs, t.shape(out)), [x, out]);
    case 'GlobalAveragePool':
      return one(globalAvgPoolKernel((xs[0] ?? 1) * (xs[1] ?? 1), numel(xs.slice(2))), [x, out]);
    case 'Softmax': {
      const axis = normalizeAxis(node, attrInt(node, 'axis', -1), xs.length);
      const inner = numel(xs.slice(axis + 1));
      const layout = { rows: numel(xs.slice(0, axis)) * inner, len: xs[axis] ?? 1, inner };
      return one(softmaxKernel(layout), [x, out]);
    }
    case 'LayerNormalization': {
      const axis = normalizeAxis(node, attrInt(node, 'axis', -1), xs.length);
      const len = numel(xs.slice(axis));
      const scale = node.inputs[1] ?? '';
      const bias = node.inputs[2] ?? '';
      if (scale === '' || numel(t.shape(scale)) !== len) unsupported(node, `scale must have ${len} elements`);
      if (bias !== '' && numel(t.shape(bias)) !== len) unsupported(node, `bias must have ${len} elements`);
      if (node.outputs.slice(1).some((o) => o !== ''))
        unsupported(node, 'mean/inv-std outputs are not supported');
      const kernel = layerNormKernel(numel(xs) / len, len, attrFloat(node, 'epsilon', 1e-5), bias !== '');
      return one(kernel, bias === '' ? [x, scale, out] : [x, scale, bias, out]);
    }
    case 'Transpose':
      return one(transposeKernel(xs, permOf(node, xs.length)), [x, out]);
    case 'Slice': {
      const { start, step, count } = sliceParams(ruleInputs(node, t));
      return one(sliceKernel(xs, { start, step, count }), [x, out]);
    }
    case 'Split': {
      const axis = normalizeAxis(node, attrInt(node, 'axis', 0), xs.length);
      const sizes = splitSizes(ruleInputs(node, t), xs[axis] ?? 0);
      const kernels = splitKernels(xs, axis, sizes);
      return {
        launches: kernels.flatMap((source, i) => {
          const o = node.outputs[i] ?? '';
          return o === '' ? [] : [{ source, tensors: [x, o] }];
        }),
      };
    }
    case 'Concat': {
      const axis = normalizeAxis(node, attrInt(node, 'axis', 0), xs.length);
      const inputs = node.inputs.filter((n) => n !== '');
      const kernels = concatKernels(
        inputs.map((n) => t.shape(n)),
        axis,
      );
      return { launches: kernels.map((source, i) => ({ source, tensors: [inputs[i] ?? '', out] })) };
    }
    default:
      return unsupported(
        node,
        `the runtime has no kernel for ${node.op} (it runs conv2d, dense, batch_matmul and ${FIXED_OPS.join(', ')})`,
      );
  }
}
