/**
 * The model IR: plain data (no classes, no Maps), so a graph can be cloned, sent to a worker or
 * written out. Operators follow ONNX opset-17 semantics and names (Conv, Gemm, Relu, ...); the
 * passes add three tunable operators named after the workload kinds (`conv2d`, `dense`,
 * `batch_matmul`) whose nodes carry their Workload, and `Gelu` (opset 20's, approximate = none).
 */

import type { Workload } from '../ops/types.js';
import { SlicetuneError } from '../util/errors.js';
import { elementsOf } from '../util/shape.js';

/** f32 for activations and weights; i64 for the shape tensors and indices that ONNX needs. */
export type DType = 'f32' | 'i64';

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

/**
 * A tensor with its values. f32 values live in a Float32Array; i64 values in a Float64Array,
 * which holds every integer a shape or an index can take exactly (up to 2^53).
 */
export interface TensorValue {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array;
}

export interface Initializer extends TensorValue {
  name: string;
}

export type AttrValue = number | string | number[] | string[];

export interface GraphNode {
  /** Unique within the graph. */
  name: string;
  op: string;
  /** Tensor names; '' stands for an optional input left out (as in ONNX). */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /**
   * Set on the tunable nodes (op conv2d, dense, batch_matmul) made by the passes. Their inputs
   * are the workload's input tensors in tensorSpecs order (data/x/a, weight/b, [scale, shift],
   * [bias], [residual]); a tensor may keep its graph shape (e.g. [1, 128, 768] for dense x).
   */
  workload?: Workload;
}

export interface Graph {
  name: string;
  inputs: TensorInfo[];
  /** Names of the tensors the graph returns. */
  outputs: string[];
  initializers: Initializer[];
  /** In a valid execution order: every input is produced before it is used. */
  nodes: GraphNode[];
}

export const TUNABLE_OPS = ['conv2d', 'dense', 'batch_matmul'] as const;

export function isTunable(node: GraphNode): node is GraphNode & { workload: Workload } {
  return node.workload !== undefined;
}

/** Number of elements of a shape. */
export const numel = elementsOf;

export function newData(dtype: DType, size: number): Float32Array | Float64Array {
  return dtype === 'f32' ? new Float32Array(size) : new Float64Array(size);
}

export function attrInt(node: GraphNode, name: string, fallback: number): number {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw badAttr(node, name, 'a number');
  return v;
}

/** A float attribute (epsilon, alpha, ...); numbers are stored alike, the name says the intent. */
export function attrFloat(node: GraphNode, name: string, fallback: number): number {
  return attrInt(node, name, fallback);
}

export function attrInts(
  node: GraphNode,
  name: string,
  fallback: number[] | undefined,
): number[] | undefined {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number'))
    throw badAttr(node, name, 'a list of numbers');
  return v as number[];
}

export function attrString(node: GraphNode, name: string, fallback: string): string {
  const v = node.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw badAttr(node, name, 'a string');
  return v;
}

function badAttr(node: GraphNode, name: string, want: string): SlicetuneError {
  return new SlicetuneError('BAD_MODEL', `${describeNode(node)}: attribute '${name}' must be ${want}`);
}

/** How errors name a node: `node '/layer1/conv1/Conv' (Conv)`. */
export function describeNode(node: Pick<GraphNode, 'name' | 'op'>): string {
  return `node '${node.name}' (${node.op})`;
}

/** Tensor name -> the nodes that read it (graph outputs are not counted here). */
export function consumersOf(graph: Graph): Map<string, GraphNode[]> {
  const map = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input === '') continue;
      const list = map.get(input);
      if (list) {
        if (!list.includes(node)) list.push(node);
      } else map.set(input, [node]);
    }
  }
  return map;
}

/** Tensor name -> the node that writes it. */
export function producersOf(graph: Graph): Map<string, GraphNode> {
  const map = new Map<string, GraphNode>();
  for (const node of graph.nodes) for (const out of node.outputs) map.set(out, node);
  return map;
}

export function initializerMap(graph: Graph): Map<string, Initializer> {
  return new Map(graph.initializers.map((i) => [i.name, i]));
}

/** A name not used by any tensor or node of the graph, built from `base`. */
export function freshName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

export function namesInUse(graph: Graph): Set<string> {
  const names = new Set<string>();
  for (const t of graph.inputs) names.add(t.name);
  for (const t of graph.initializers) names.add(t.name);
  for (const n of graph.nodes) {
    names.add(n.name);
    for (const o of n.outputs) names.add(o);
  }
  return names;
}
