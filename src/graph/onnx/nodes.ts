/** Node-level import helpers: Constant nodes to initializers, older opsets' attributes to inputs. */
import { SlicetuneError } from '../../util/errors.js';
import { type AttrValue, freshName, type GraphNode, type Initializer } from '../ir.js';
import type { readAttributes } from './attributes.js';
import type { OnnxTypes } from './proto.js';
import { decodeTensor } from './tensor.js';

export function constantValue(
  proto: OnnxTypes.INodeProto,
  attrs: ReturnType<typeof readAttributes>,
  output: string,
  where: string,
): Initializer {
  const tensor = attrs.tensors.value;
  if (tensor) return { ...decodeTensor(tensor, output, where), name: output };
  const p = attrs.plain;
  const scalarF = p.value_float;
  const listF = p.value_floats;
  const scalarI = p.value_int;
  const listI = p.value_ints;
  if (typeof scalarF === 'number')
    return { name: output, dtype: 'f32', shape: [], data: Float32Array.of(scalarF) };
  if (Array.isArray(listF))
    return { name: output, dtype: 'f32', shape: [listF.length], data: Float32Array.from(listF as number[]) };
  if (typeof scalarI === 'number')
    return { name: output, dtype: 'i64', shape: [], data: Float64Array.of(scalarI) };
  if (Array.isArray(listI))
    return { name: output, dtype: 'i64', shape: [listI.length], data: Float64Array.from(listI as number[]) };
  throw new SlicetuneError(
    'UNSUPPORTED_OP',
    `${where}: Constant '${proto.output?.[0] ?? ''}' has no value slicetune reads`,
  );
}

/** Older opsets kept some inputs as attributes; the IR follows opset 13+ (inputs). */
export function upgrade(
  node: GraphNode,
  opset: number,
  inits: Initializer[],
  taken: Set<string>,
): GraphNode[] {
  const moveToInputs = (attrs: string[], dtype: 'f32' | 'i64') => {
    const inputs = [...node.inputs];
    const rest: Record<string, AttrValue> = { ...node.attrs };
    attrs.forEach((attr, i) => {
      const v = node.attrs[attr];
      delete rest[attr];
      if (v === undefined) return;
      const values = (Array.isArray(v) ? v : [v]) as number[];
      const name = freshName(taken, `${node.name}/${attr}`);
      const data = dtype === 'f32' ? Float32Array.from(values) : Float64Array.from(values);
      inits.push({ name, dtype, shape: Array.isArray(v) ? [values.length] : [], data });
      while (inputs.length < i + 1) inputs.push('');
      inputs[i + 1] = name;
    });
    return [{ ...node, inputs, attrs: rest }];
  };
  if (node.op === 'Clip' && opset < 11) return moveToInputs(['min', 'max'], 'f32');
  if (node.op === 'Slice' && opset < 10) return moveToInputs(['starts', 'ends', 'axes'], 'i64');
  return [node];
}
