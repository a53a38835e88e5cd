/**
 * ONNX import: a ModelProto (as PyTorch's opset-17 export writes it) to the IR. Constant nodes
 * become initializers, Identity and Dropout disappear, shape chains fold to constants, and every
 * tensor gets its static shape. Every error names the file, and the node (name and op_type) or
 * tensor it is about.
 */
import { readFileSync } from 'node:fs';
import { SlicetuneError } from '../../util/errors.js';
import type { Graph, GraphNode, Initializer, TensorInfo } from '../ir.js';
import { freshName, TUNABLE_OPS } from '../ir.js';
import { removeDeadNodes } from '../passes/dead-code.js';
import { foldConstants } from '../passes/fold-constants.js';
import { removeIdentities } from '../passes/remove-identity.js';
import { SUPPORTED_OPS } from '../shape-rules.js';
import { validateGraph } from '../validate.js';
import { readAttributes } from './attributes.js';
import { constantValue, upgrade } from './nodes.js';
import { DATA_TYPE, type OnnxTypes, onnx, toNumber } from './proto.js';
import { decodeTensor } from './tensor.js';

export interface ImportOptions {
  /** How errors name the model, usually its path. */
  source?: string;
  /** Values for symbolic input dimensions (dim_param), e.g. { batch_size: 1 }. */
  dims?: Record<string, number>;
}

const TUNABLE_NAMES = new Set<string>(TUNABLE_OPS);
export const ONNX_IMPORT_OPS: readonly string[] = [
  ...SUPPORTED_OPS.filter((op) => !TUNABLE_NAMES.has(op)),
  'Constant',
];

export function loadOnnxFile(path: string, options: Omit<ImportOptions, 'source'> = {}): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SlicetuneError('NOT_FOUND', `${path}: cannot read the model file (${(e as Error).message})`, {
      cause: e,
    });
  }
  return importOnnx(bytes, { ...options, source: path });
}

export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): Graph {
  const source = options.source ?? '<onnx bytes>';
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new SlicetuneError('BAD_MODEL', `${source}: not a valid ONNX model (${(e as Error).message})`, {
      cause: e,
    });
  }
  const g = model.graph;
  if (!g || (g.node?.length ?? 0) === 0 || (g.output?.length ?? 0) === 0) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${source}: not a valid ONNX model (no graph with nodes and outputs)`,
    );
  }
  const opset = defaultOpset(model);
  try {
    const raw = readGraph(g, opset, source, options.dims ?? {});
    // Constant folding may evaluate nodes; the pipeline after it is the same for every model.
    const graph = removeDeadNodes(foldConstants(removeIdentities(raw)));
    validateGraph(graph);
    return graph;
  } catch (e) {
    if (e instanceof SlicetuneError && !e.message.startsWith(source)) {
      throw new SlicetuneError(e.code, `${source}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

function defaultOpset(model: OnnxTypes.ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNumber(entry.version) : 17;
}

function readGraph(
  g: OnnxTypes.IGraphProto,
  opset: number,
  source: string,
  dims: Record<string, number>,
): Graph {
  const initializers: Initializer[] = (g.initializer ?? []).map((t, i) =>
    decodeTensor(t, t.name || `initializer_${i}`, source),
  );
  const initNames = new Set(initializers.map((i) => i.name));
  const inputs = (g.input ?? [])
    .filter((v) => !initNames.has(v.name ?? ''))
    .map((v) => readInput(v, source, dims));
  const taken = new Set<string>([...initNames, ...inputs.map((i) => i.name)]);
  for (const n of g.node ?? []) for (const o of n.output ?? []) taken.add(o);
  const nodes: GraphNode[] = [];
  // Node names and tensor names are separate namespaces in ONNX; node names must be unique here.
  const nodeNames = new Set<string>();
  (g.node ?? []).forEach((proto, index) => {
    const opType = proto.opType ?? '';
    const name = freshName(nodeNames, proto.name || `${opType}_${index}`);
    const where = `node '${name}' (${opType})`;
    if (proto.domain && proto.domain !== 'ai.onnx') {
      throw new SlicetuneError(
        'UNSUPPORTED_OP',
        `${where}: operator domain '${proto.domain}' is not supported`,
      );
    }
    if (!ONNX_IMPORT_OPS.includes(opType)) {
      throw new SlicetuneError(
        'UNSUPPORTED_OP',
        `${where}: operator '${opType}' is not supported (supported: ${ONNX_IMPORT_OPS.join(', ')})`,
      );
    }
    const attrs = readAttributes(proto, where);
    const outputs = [...(proto.output ?? [])];
    if (opType === 'Constant') {
      initializers.push(constantValue(proto, attrs, outputs[0] ?? name, where));
      return;
    }
    const node: GraphNode = {
      name,
      op: opType,
      inputs: [...(proto.input ?? [])],
      outputs,
      attrs: attrs.plain,
    };
    nodes.push(...upgrade(node, opset, initializers, taken));
  });
  return {
    name: g.name || 'onnx_model',
    inputs,
    outputs: (g.output ?? []).map((o) => o.name ?? ''),
    initializers,
    nodes,
  };
}

function readInput(v: OnnxTypes.IValueInfoProto, source: string, dims: Record<string, number>): TensorInfo {
  const name = v.name ?? '';
  const tensorType = v.type?.tensorType;
  if (!tensorType) throw new SlicetuneError('BAD_MODEL', `${source}: graph input '${name}' is not a tensor`);
  const elem = tensorType.elemType ?? 0;
  if (elem !== DATA_TYPE.FLOAT && elem !== DATA_TYPE.INT64) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${source}: graph input '${name}' has element type ${elem}; only float and int64`,
    );
  }
  const shape = (tensorType.shape?.dim ?? []).map((d, axis) => {
    if (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0)
      return toNumber(d.dimValue);
    const symbol = d.dimParam ?? '';
    const given = dims[symbol];
    if (given !== undefined) return given;
    throw new SlicetuneError(
      'BAD_MODEL',
      `${source}: cannot resolve the shape of graph input '${name}': dimension ${axis} is '${symbol || '?'}'; ` +
        'export with static shapes or give its value',
    );
  });
  return { name, dtype: elem === DATA_TYPE.FLOAT ? 'f32' : 'i64', shape };
}
