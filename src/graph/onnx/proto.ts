/**
 * The ONNX protobuf schema, compiled for protobufjs by the onnx-proto package (a CommonJS module,
 * hence the default import). Its int64 fields decode as numbers or Long objects.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** ONNX TensorProto.DataType values that slicetune reads. */
export const DATA_TYPE = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11, BOOL: 9 } as const;

/** AttributeProto.AttributeType values. */
export const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** An int64 field as a JS number (shapes and attributes are far below 2^53). */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
