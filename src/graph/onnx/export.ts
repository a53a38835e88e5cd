/**
 * ONNX export (opset 17): lets tests build small ONNX models from the IR, and hands zoo models to
 * PyTorch and onnxruntime. Nodes that are not ONNX opset-17 operators are written as the ONNX
 * nodes they stand for: a tunable node as Conv / Gemm / MatMul plus Add and Relu / Clip for its
 * epilogue, Gelu as the Erf formula.
 */
import { SlicetuneError } from '../../util/errors.js';
import {
  describeNode,
  freshName,
  type Graph,
  type GraphNode,
  type Initializer,
  namesInUse,
  type TensorInfo,
} from '../ir.js';
import { validateGraph } from '../validate.js';
import { writeAttributes } from './attributes.js';
import { DATA_TYPE, type OnnxTypes, onnx } from './proto.js';
import { encodeTensor } from './tensor.js';

export interface ExportOptions {
  opset?: number;
}

interface Emitter {
  nodes: GraphNode[];
  consts: Initializer[];
  taken: Set<string>;
  infos: Map<string, TensorInfo>;
}

export function exportOnnx(graph: Graph, options: ExportOptions = {}): Uint8Array {
  const infos = validateGraph(graph);
  const em: Emitter = { nodes: [], consts: [], taken: namesInUse(graph), infos };
  for (const node of graph.nodes) expand(em, node);
  const valueInfo = (info: TensorInfo): OnnxTypes.IValueInfoProto => ({
    name: info.name,
    type: {
      tensorType: {
        elemType: info.dtype === 'f32' ? DATA_TYPE.FLOAT : DATA_TYPE.INT64,
        shape: { dim: info.shape.map((d) => ({ dimValue: d })) },
      },
    },
  });
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'slicetune',
    opsetImport: [{ domain: '', version: options.opset ?? 17 }],
    graph: {
      name: graph.name,
      node: em.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: writeAttributes(n.attrs),
      })),
      initializer: [...graph.initializers, ...em.consts].map(encodeTensor),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map((name) => valueInfo(infos.get(name) ?? { name, dtype: 'f32', shape: [] })),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

function scalar(em: Emitter, base: string, value: number): string {
  const name = freshName(em.taken, base);
  em.consts.push({ name, dtype: 'f32', shape: [], data: Float32Array.of(value) });
  return name;
}

/** Appends `op` reading `inputs`; returns its output (the final name when given, else a fresh one). */
function emit(
  em: Emitter,
  node: GraphNode,
  op: string,
  inputs: string[],
  attrs: GraphNode['attrs'],
  output?: string,
): string {
  const out = output ?? freshName(em.taken, `${node.name}/${op}_out`);
  em.nodes.push({ name: freshName(em.taken, `${node.name}/${op}`), op, inputs, outputs: [out], attrs });
  return out;
}

function expand(em: Emitter, node: GraphNode): void {
  if (node.op === 'Gelu') {
    expandGelu(em, node);
    return;
  }
  const w = node.workload;
  if (!w) {
    em.nodes.push(node);
    return;
  }
  const e = w.epilogue;
  if (e.bnScaleShift) {
    throw new SlicetuneError(
      'UNSUPPORTED_OP',
      `${describeNode(node)}: exporting a scale/shift epilogue is not supported`,
    );
  }
  const [x = '', weight = ''] = node.inputs;
  const bias = e.bias ? node.inputs[2] : undefined;
  const residual = e.residual ? node.inputs[e.bias ? 3 : 2] : undefined;
  const rank = em.infos.get(x)?.shape.length ?? 2;
  let t: string;
  if (w.op === 'conv2d') {
    const s = w.shape;
    const attrs = {
      dilations: [s.dilationH, s.dilationW],
      group: s.groups,
      kernel_shape: [s.r, s.s],
      pads: [s.padH, s.padW, s.padH, s.padW],
      strides: [s.strideH, s.strideW],
    };
    t = emit(em, node, 'Conv', bias ? [x, weight, bias] : [x, weight], attrs);
  } else if (w.op === 'dense' && rank === 2) {
    t = emit(em, node, 'Gemm', bias ? [x, weight, bias] : [x, weight], { transB: 1 });
  } else {
    const bRank = em.infos.get(weight)?.shape.length ?? 2;
    // Swap the last two axes: a dense weight is [n, k], a transB operand [..., n, k].
    const swap = Array.from({ length: bRank }, (_, i) => (i < bRank - 2 ? i : 2 * bRank - 3 - i));
    const transposeB = w.op === 'dense' || w.shape.transB;
    const b = transposeB ? emit(em, node, 'Transpose', [weight], { perm: swap }) : weight;
    t = emit(em, node, 'MatMul', [x, b], {});
    if (bias) t = emit(em, node, 'Add', [t, bias], {});
  }
  if (residual) t = emit(em, node, 'Add', [t, residual], {});
  if (e.activation === 'relu') emit(em, node, 'Relu', [t], {});
  if (e.activation === 'relu6') {
    emit(em, node, 'Clip', [t, scalar(em, `${node.name}/min`, 0), scalar(em, `${node.name}/max`, 6)], {});
  }
  // The chain's last node writes the tunable node's own output.
  const last = em.nodes[em.nodes.length - 1];
  if (last) last.outputs = [node.outputs[0] ?? ''];
}

function expandGelu(em: Emitter, node: GraphNode): void {
  const x = node.inputs[0] ?? '';
  const scaled = emit(em, node, 'Div', [x, scalar(em, `${node.name}/sqrt2`, Math.SQRT2)], {});
  const erf = emit(em, node, 'Erf', [scaled], {});
  const plusOne = emit(em, node, 'Add', [erf, scalar(em, `${node.name}/one`, 1)], {});
  const times = emit(em, node, 'Mul', [x, plusOne], {});
  emit(em, node, 'Mul', [times, scalar(em, `${node.name}/half`, 0.5)], {}, node.outputs[0]);
}
