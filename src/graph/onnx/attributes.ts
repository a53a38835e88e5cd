/** ONNX attributes to the IR's plain values (numbers, strings, lists), tensors kept apart. */
import { SlicetuneError } from '../../util/errors.js';
import type { AttrValue } from '../ir.js';
import { ATTR_TYPE, type OnnxTypes, toNumber } from './proto.js';

const utf8 = new TextDecoder();

export interface NodeAttributes {
  plain: Record<string, AttrValue>;
  tensors: Record<string, OnnxTypes.ITensorProto>;
}

export function readAttributes(proto: OnnxTypes.INodeProto, where: string): NodeAttributes {
  const plain: Record<string, AttrValue> = {};
  const tensors: Record<string, OnnxTypes.ITensorProto> = {};
  for (const a of proto.attribute ?? []) {
    const name = a.name ?? '';
    switch (a.type) {
      case ATTR_TYPE.FLOAT:
        plain[name] = a.f ?? 0;
        break;
      case ATTR_TYPE.INT:
        plain[name] = toNumber(a.i);
        break;
      case ATTR_TYPE.STRING:
        plain[name] = utf8.decode(a.s ?? new Uint8Array());
        break;
      case ATTR_TYPE.FLOATS:
        plain[name] = [...(a.floats ?? [])];
        break;
      case ATTR_TYPE.INTS:
        plain[name] = (a.ints ?? []).map((v) => toNumber(v));
        break;
      case ATTR_TYPE.STRINGS:
        plain[name] = (a.strings ?? []).map((s) => utf8.decode(s));
        break;
      case ATTR_TYPE.TENSOR:
        if (a.t) tensors[name] = a.t;
        break;
      default:
        throw new SlicetuneError(
          'UNSUPPORTED_OP',
          `${where}: attribute '${name}' has type ${a.type}, which is not supported`,
        );
    }
  }
  return { plain, tensors };
}

/** Attributes whose values are floats in the ONNX schema (the rest of the numbers are ints). */
const FLOAT_ATTRIBUTES = new Set([
  'epsilon',
  'alpha',
  'beta',
  'momentum',
  'ratio',
  'value_float',
  'value_floats',
]);

export function writeAttributes(attrs: Record<string, AttrValue>): OnnxTypes.IAttributeProto[] {
  const utf8Encode = new TextEncoder();
  return Object.entries(attrs).map(([name, v]) => {
    const isFloat = FLOAT_ATTRIBUTES.has(name);
    if (typeof v === 'string') return { name, type: ATTR_TYPE.STRING, s: utf8Encode.encode(v) };
    if (typeof v === 'number')
      return isFloat ? { name, type: ATTR_TYPE.FLOAT, f: v } : { name, type: ATTR_TYPE.INT, i: v };
    if (v.length > 0 && v.every((x): x is string => typeof x === 'string')) {
      return { name, type: ATTR_TYPE.STRINGS, strings: v.map((s) => utf8Encode.encode(s)) };
    }
    const nums = v as number[];
    return isFloat
      ? { name, type: ATTR_TYPE.FLOATS, floats: nums }
      : { name, type: ATTR_TYPE.INTS, ints: nums };
  });
}
