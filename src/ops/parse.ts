/**
 * The shape syntax of `slicetune space <op> <shape>` (documented in the README):
 * `conv2d n=1,c=64,h=56,w=56,k=64,r=3,s=3,stride=1,pad=1`. Misuse throws BAD_SHAPE naming the key
 * and listing the accepted ones.
 */
import { SlicetuneError } from '../util/errors.js';
import { batchMatmulWorkload } from './batch-matmul.js';
import { conv2dWorkload } from './conv2d.js';
import { denseWorkload } from './dense.js';
import type { Activation, Epilogue, Workload } from './types.js';

export const SHAPE_OPS = ['conv2d', 'depthwise_conv2d', 'dense', 'batch_matmul'] as const;
export type ShapeOp = (typeof SHAPE_OPS)[number];

const CONV_PAIRS = ['stride', 'pad', 'dilation'] as const;

/** Accepted keys per op, required ones first. */
export const SHAPE_KEYS: Record<ShapeOp, { required: readonly string[]; optional: readonly string[] }> = {
  conv2d: { required: ['n', 'c', 'h', 'w', 'k', 'r', 's'], optional: [...CONV_PAIRS, 'groups', 'epilogue'] },
  depthwise_conv2d: { required: ['n', 'c', 'h', 'w', 'r', 's'], optional: ['k', ...CONV_PAIRS, 'epilogue'] },
  dense: { required: ['m', 'n', 'k'], optional: ['epilogue'] },
  batch_matmul: { required: ['b', 'm', 'n', 'k'], optional: ['transB', 'epilogue'] },
};

const EPILOGUE_TOKENS = ['bias', 'bn', 'residual', 'relu', 'relu6', 'none'];

function fail(op: string, message: string): never {
  throw new SlicetuneError('BAD_SHAPE', `${op} shape: ${message}`);
}

function acceptedKeys(op: ShapeOp): string {
  const { required, optional } = SHAPE_KEYS[op];
  return `required: ${required.join(', ')}; optional: ${optional.join(', ')}`;
}

function splitPairs(op: ShapeOp, text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq < 0) fail(op, `"${trimmed}" is not key=value (accepted keys: ${acceptedKeys(op)})`);
    const key = trimmed.slice(0, eq).trim();
    const value = trimmed.slice(eq + 1).trim();
    const { required, optional } = SHAPE_KEYS[op];
    if (!required.includes(key) && !optional.includes(key)) {
      fail(op, `unknown key "${key}" (accepted keys: ${acceptedKeys(op)})`);
    }
    if (pairs.has(key)) fail(op, `key "${key}" is given twice`);
    pairs.set(key, value);
  }
  for (const key of SHAPE_KEYS[op].required) {
    if (!pairs.has(key)) fail(op, `missing key "${key}" (accepted keys: ${acceptedKeys(op)})`);
  }
  return pairs;
}

function intOf(op: string, key: string, value: string): number {
  if (!/^\d+$/.test(value)) fail(op, `key "${key}" must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** `2` -> [2, 2]; `2x1` -> [2, 1] (height x width). */
function pairOf(op: string, key: string, value: string): [number, number] {
  const parts = value.split(/[xX]/);
  if (parts.length === 1) {
    const v = intOf(op, key, value);
    return [v, v];
  }
  if (parts.length !== 2) fail(op, `key "${key}" must be N or HxW (e.g. 2x1), got "${value}"`);
  return [intOf(op, key, parts[0] as string), intOf(op, key, parts[1] as string)];
}

function boolOf(op: string, key: string, value: string): boolean {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return fail(op, `key "${key}" must be 0, 1, true or false, got "${value}"`);
}

export function parseEpilogue(op: string, value: string): Epilogue {
  const epilogue: Epilogue = { bias: false, bnScaleShift: false, residual: false, activation: 'none' };
  const seen = new Set<string>();
  for (const raw of value.split('+')) {
    const token = raw.trim();
    if (!EPILOGUE_TOKENS.includes(token)) {
      fail(
        op,
        `key "epilogue": unknown part "${token}" (accepted: ${EPILOGUE_TOKENS.join(', ')}, joined by +)`,
      );
    }
    if (seen.has(token)) fail(op, `key "epilogue": "${token}" is given twice`);
    seen.add(token);
    if (token === 'bias') epilogue.bias = true;
    else if (token === 'bn') epilogue.bnScaleShift = true;
    else if (token === 'residual') epilogue.residual = true;
    else if (token === 'relu' || token === 'relu6') {
      if (epilogue.activation !== 'none') fail(op, 'key "epilogue": at most one of relu, relu6');
      epilogue.activation = token as Activation;
    }
  }
  if (seen.has('none') && seen.size > 1)
    fail(op, 'key "epilogue": "none" cannot be combined with other parts');
  return epilogue;
}

function parseConv(
  op: 'conv2d' | 'depthwise_conv2d',
  pairs: Map<string, string>,
  epilogue: Epilogue | undefined,
): Workload {
  const num = (key: string) => intOf(op, key, pairs.get(key) as string);
  const pair = (key: string, fallback: number): [number, number] =>
    pairs.has(key) ? pairOf(op, key, pairs.get(key) as string) : [fallback, fallback];
  const [strideH, strideW] = pair('stride', 1);
  const [padH, padW] = pair('pad', 0);
  const [dilationH, dilationW] = pair('dilation', 1);
  const c = num('c');
  let k: number;
  let groups: number;
  if (op === 'depthwise_conv2d') {
    k = pairs.has('k') ? num('k') : c;
    if (k !== c) fail(op, `key "k" must equal c (${c}) for a depthwise convolution, got ${k}`);
    groups = c;
  } else {
    k = num('k');
    groups = pairs.has('groups') ? num('groups') : 1;
  }
  const shape = { n: num('n'), c, h: num('h'), w: num('w'), k, r: num('r'), s: num('s') };
  const geometry = { strideH, strideW, padH, padW, dilationH, dilationW, groups };
  return conv2dWorkload({ ...shape, ...geometry }, epilogue);
}

/** Parses `<key>=<value>,...` for an op of SHAPE_OPS; depthwise_conv2d is conv2d with groups = c = k. */
export function parseWorkload(op: string, text: string): Workload {
  if (!(SHAPE_OPS as readonly string[]).includes(op)) {
    throw new SlicetuneError(
      'UNSUPPORTED_OP',
      `unknown operator "${op}" (accepted: ${SHAPE_OPS.join(', ')})`,
    );
  }
  const shapeOp = op as ShapeOp;
  const pairs = splitPairs(shapeOp, text);
  const num = (key: string) => intOf(op, key, pairs.get(key) as string);
  const epilogue = pairs.has('epilogue') ? parseEpilogue(op, pairs.get('epilogue') as string) : undefined;
  switch (shapeOp) {
    case 'conv2d':
    case 'depthwise_conv2d':
      return parseConv(shapeOp, pairs, epilogue);
    case 'dense':
      return denseWorkload({ m: num('m'), n: num('n'), k: num('k') }, epilogue);
    case 'batch_matmul': {
      const transB = pairs.has('transB') ? boolOf(op, 'transB', pairs.get('transB') as string) : false;
      return batchMatmulWorkload({ b: num('b'), m: num('m'), n: num('n'), k: num('k'), transB }, epilogue);
    }
  }
}

function formatPair(h: number, w: number): string {
  return h === w ? String(h) : `${h}x${w}`;
}

export function formatEpilogue(e: Epilogue): string {
  const parts: string[] = [];
  if (e.bnScaleShift) parts.push('bn');
  if (e.bias) parts.push('bias');
  if (e.residual) parts.push('residual');
  if (e.activation !== 'none') parts.push(e.activation);
  return parts.join('+');
}

/** The `key=value,...` part; defaults (dilation 1, groups 1, transB 0, no epilogue) are left out. */
export function formatShape(w: Workload): string {
  const items: string[] = [];
  switch (w.op) {
    case 'conv2d': {
      const s = w.shape;
      items.push(`n=${s.n}`, `c=${s.c}`, `h=${s.h}`, `w=${s.w}`, `k=${s.k}`, `r=${s.r}`, `s=${s.s}`);
      items.push(`stride=${formatPair(s.strideH, s.strideW)}`, `pad=${formatPair(s.padH, s.padW)}`);
      if (s.dilationH !== 1 || s.dilationW !== 1)
        items.push(`dilation=${formatPair(s.dilationH, s.dilationW)}`);
      if (s.groups !== 1) items.push(`groups=${s.groups}`);
      break;
    }
    case 'dense':
      items.push(`m=${w.shape.m}`, `n=${w.shape.n}`, `k=${w.shape.k}`);
      break;
    case 'batch_matmul':
      items.push(`b=${w.shape.b}`, `m=${w.shape.m}`, `n=${w.shape.n}`, `k=${w.shape.k}`);
      if (w.shape.transB) items.push('transB=1');
      break;
  }
  const epilogue = formatEpilogue(w.epilogue);
  if (epilogue !== '') items.push(`epilogue=${epilogue}`);
  return items.join(',');
}

/** `<op> <shape>`, as typed after `slicetune space`; parseWorkload(op, shape) gives `w` back. */
export function formatWorkload(w: Workload): string {
  return `${w.op} ${formatShape(w)}`;
}
