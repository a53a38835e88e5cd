/** The graph validator: structure, initializers, shapes, and tunable nodes against their workloads. */
import { SlicetuneError } from '../util/errors.js';
import { describeNode, type Graph, type GraphNode, numel, type TensorInfo } from './ir.js';
import { inferShapes } from './shapes.js';

function bad(message: string): never {
  throw new SlicetuneError('BAD_MODEL', message);
}

/** Checks the graph and returns every tensor's info; throws BAD_MODEL naming the first problem. */
export function validateGraph(graph: Graph): Map<string, TensorInfo> {
  const defined = new Set<string>();
  const define = (name: string, by: string) => {
    if (defined.has(name)) bad(`graph '${graph.name}': tensor '${name}' is defined twice (again by ${by})`);
    defined.add(name);
  };
  for (const input of graph.inputs) define(input.name, 'a graph input');
  for (const init of graph.initializers) {
    define(init.name, 'an initializer');
    const expected = init.dtype === 'f32' ? Float32Array : Float64Array;
    if (!(init.data instanceof expected))
      bad(`initializer '${init.name}': ${init.dtype} data in the wrong array type`);
    if (init.data.length !== numel(init.shape)) {
      bad(`initializer '${init.name}': ${init.data.length} values for shape [${init.shape}]`);
    }
  }
  const nodeNames = new Set<string>();
  for (const node of graph.nodes) {
    if (!node.name) bad(`graph '${graph.name}': a ${node.op} node has no name`);
    if (nodeNames.has(node.name)) bad(`graph '${graph.name}': two nodes are named '${node.name}'`);
    nodeNames.add(node.name);
    for (const out of node.outputs) if (out !== '') define(out, describeNode(node));
  }
  const infos = inferShapes(graph);
  for (const node of graph.nodes) checkTunable(node, infos);
  for (const out of graph.outputs) {
    if (!infos.has(out)) bad(`graph '${graph.name}': output '${out}' is never produced`);
  }
  return infos;
}

function checkTunable(node: GraphNode, infos: Map<string, TensorInfo>): void {
  const w = node.workload;
  if (!w) return;
  const where = describeNode(node);
  if (node.op !== w.op) bad(`${where}: carries a ${w.op} workload`);
  const shapeOf = (i: number) =>
    infos.get(node.inputs[i] ?? '')?.shape ?? bad(`${where}: input ${i} is missing`);
  const expectInputs =
    2 + (w.epilogue.bnScaleShift ? 2 : 0) + (w.epilogue.bias ? 1 : 0) + (w.epilogue.residual ? 1 : 0);
  if (node.inputs.length !== expectInputs)
    bad(`${where}: ${node.inputs.length} inputs, its epilogue needs ${expectInputs}`);
  const x = shapeOf(0);
  const wt = shapeOf(1);
  const agree = (cond: boolean, what: string) => cond || bad(`${where}: ${what} do not match the workload`);
  if (w.op === 'conv2d') {
    const s = w.shape;
    agree(x.join() === [s.n, s.c, s.h, s.w].join(), `data [${x}]`);
    agree(wt.join() === [s.k, s.c / s.groups, s.r, s.s].join(), `weight [${wt}]`);
  } else if (w.op === 'dense') {
    agree(x[x.length - 1] === w.shape.k && numel(x) === w.shape.m * w.shape.k, `input [${x}]`);
    agree(wt.join() === [w.shape.n, w.shape.k].join(), `weight [${wt}]`);
  } else {
    const s = w.shape;
    agree(numel(x) === s.b * s.m * s.k && x[x.length - 1] === s.k, `input a [${x}]`);
    const bLast = s.transB ? [s.n, s.k] : [s.k, s.n];
    agree(numel(wt) === s.b * s.k * s.n && wt.slice(-2).join() === bLast.join(), `input b [${wt}]`);
  }
  const out = infos.get(node.outputs[0] ?? '')?.shape ?? [];
  const perChannel = w.op === 'conv2d' ? w.shape.k : w.shape.n;
  let next = 2;
  if (w.epilogue.bnScaleShift) {
    agree(numel(shapeOf(next)) === perChannel && numel(shapeOf(next + 1)) === perChannel, 'scale and shift');
    next += 2;
  }
  if (w.epilogue.bias) agree(numel(shapeOf(next++)) === perChannel, 'bias');
  if (w.epilogue.residual) agree(numel(shapeOf(next)) === numel(out), 'residual');
}
