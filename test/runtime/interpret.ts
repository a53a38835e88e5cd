/**
 * A CPU interpreter of an execution plan: each launch computed from what its kernel says it
 * computes (`computes`), with the index math of the fixed kernels' JS mirrors (strided maps, row
 * offsets, window origins) and the ops layer's CPU reference for the tunable ones. It checks the
 * plan's buffers, aliases and argument bindings, and the fixed kernels' index math, against the
 * CPU reference executor, without a GPU.
 */
import type { Graph } from '../../src/graph/ir.js';
import { erf, gelu } from '../../src/graph/kernels/elementwise.js';
import { cpuReference, tensorSpecs, type Workload } from '../../src/ops/index.js';
import type { ExecutionPlan, PlannedLaunch } from '../../src/runtime/types.js';
import {
  type BinaryOp,
  broadcastSpace,
  concatSpace,
  type IterationSpace,
  offsetOf,
  type Pool2dParams,
  type RowLayout,
  rowOffset,
  sliceSpace,
  transposeSpace,
  windowOrigin,
} from '../../src/templates/fixed/index.js';

type Buffers = Map<string, Float32Array>;

function parseComputes(computes: string): { op: string; params: Record<string, unknown> } | null {
  const m = /^fixed\.(\w+):(.*)$/s.exec(computes);
  return m ? { op: m[1] as string, params: JSON.parse(m[2] as string) } : null;
}

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
};

function copyThrough(space: IterationSpace, x: Float32Array, out: Float32Array): void {
  const total = space.shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) out[offsetOf(space, 1, i)] = x[offsetOf(space, 0, i)] as number;
}

function pool(p: Pool2dParams, x: Float32Array, out: Float32Array): void {
  for (let idx = 0; idx < out.length; idx++) {
    const ox = idx % p.ow;
    const oy = Math.floor(idx / p.ow) % p.oh;
    const plane = Math.floor(idx / (p.oh * p.ow));
    const [y0, x0] = windowOrigin(p, oy, ox);
    let acc = p.kind === 'max' ? Number.NEGATIVE_INFINITY : 0;
    let count = 0;
    for (let i = 0; i < p.kernel[0]; i++) {
      const iy = y0 + i * p.dilations[0];
      if (iy < 0 || iy >= p.h) continue;
      for (let j = 0; j < p.kernel[1]; j++) {
        const ix = x0 + j * p.dilations[1];
        if (ix < 0 || ix >= p.w) continue;
        const v = x[plane * p.h * p.w + iy * p.w + ix] as number;
        acc = p.kind === 'max' ? Math.max(v, acc) : acc + v;
        count++;
      }
    }
    const padded =
      (Math.min(y0 + p.kernel[0], p.h + p.pads[2]) - y0) * (Math.min(x0 + p.kernel[1], p.w + p.pads[3]) - x0);
    out[idx] = p.kind === 'max' ? acc : acc / (p.countIncludePad ? padded : count);
  }
}

function rows(l: RowLayout, visit: (row: number, at: (j: number) => number) => void): void {
  for (let r = 0; r < l.rows; r++) visit(r, (j) => rowOffset(l, r, j));
}

function fixed(op: string, p: Record<string, unknown>, args: Float32Array[]): void {
  const [x = new Float32Array(0)] = args;
  const out = args[args.length - 1] as Float32Array;
  if (op in BINARY) {
    const space = broadcastSpace(p.a as number[], p.b as number[]);
    const f = BINARY[op as BinaryOp];
    const b = args[1] as Float32Array;
    for (let i = 0; i < out.length; i++)
      out[i] = f(x[offsetOf(space, 0, i)] as number, b[offsetOf(space, 1, i)] as number);
    return;
  }
  const unary: Record<string, (v: number) => number> = {
    relu: (v) => Math.max(v, 0),
    clip: (v) =>
      Math.min(Math.max(v, (p.min as number | null) ?? -Infinity), (p.max as number | null) ?? Infinity),
    gelu,
    erf,
    sqrt: Math.sqrt,
    copy: (v) => v,
  };
  const u = unary[op];
  if (u) {
    for (let i = 0; i < out.length; i++) out[i] = u(x[i] as number);
    return;
  }
  switch (op) {
    case 'maxpool2d':
    case 'avgpool2d':
      pool(p as unknown as Pool2dParams, x, out);
      break;
    case 'globalavgpool':
      rows(p as unknown as RowLayout, (r, at) => {
        let s = 0;
        for (let j = 0; j < (p.len as number); j++) s += x[at(j)] as number;
        out[r] = s / (p.len as number);
      });
      break;
    case 'softmax':
      rows(p as unknown as RowLayout, (_r, at) => {
        const len = p.len as number;
        let m = -Infinity;
        for (let j = 0; j < len; j++) m = Math.max(m, x[at(j)] as number);
        let s = 0;
        for (let j = 0; j < len; j++) s += Math.exp((x[at(j)] as number) - m);
        for (let j = 0; j < len; j++) out[at(j)] = Math.exp((x[at(j)] as number) - m) / s;
      });
      break;
    case 'layernorm': {
      const len = p.len as number;
      const scale = args[1] as Float32Array;
      const bias = p.bias ? (args[2] as Float32Array) : undefined;
      rows({ rows: p.rows as number, len, inner: 1 }, (_r, at) => {
        let mean = 0;
        for (let j = 0; j < len; j++) mean += x[at(j)] as number;
        mean /= len;
        let sq = 0;
        for (let j = 0; j < len; j++) sq += ((x[at(j)] as number) - mean) ** 2;
        const inv = 1 / Math.sqrt(sq / len + (p.epsilon as number));
        for (let j = 0; j < len; j++)
          out[at(j)] = ((x[at(j)] as number) - mean) * inv * (scale[j] as number) + (bias?.[j] ?? 0);
      });
      break;
    }
    case 'transpose':
      copyThrough(transposeSpace(p.shape as number[], p.perm as number[]), x, out);
      break;
    case 'slice':
      copyThrough(sliceSpace(p.shape as number[], p as never), x, out);
      break;
    case 'concat':
      copyThrough(concatSpace(p.shapes as number[][], p.axis as number, p.index as number), x, out);
      break;
    default:
      throw new Error(`interpreter: no fixed op ${op}`);
  }
}

function tunable(w: Workload, args: Float32Array[]): void {
  const named: Record<string, Float32Array> = {};
  const specs = tensorSpecs(w);
  specs.forEach((s, i) => {
    if (s.role === 'input') named[s.name] = args[i] as Float32Array;
  });
  (args[args.length - 1] as Float32Array).set(cpuReference(w, named));
}

/** Runs the plan's launches on the CPU; returns the graph outputs. */
export function interpretPlan(
  plan: ExecutionPlan,
  graph: Graph,
  inputs: Record<string, Float32Array>,
): Record<string, Float32Array> {
  const buffers: Buffers = new Map();
  const weights = new Map(graph.initializers.map((i) => [i.name, i.data]));
  for (const [name, { elements, role }] of plan.storage) {
    const data = new Float32Array(elements).fill(Number.NaN);
    if (role === 'weight') data.set(weights.get(name) as Float32Array);
    if (role === 'input') data.set(inputs[name] as Float32Array);
    buffers.set(name, data);
  }
  const workloads = new Map(graph.nodes.flatMap((n) => (n.workload ? [[n.name, n.workload] as const] : [])));
  plan.launches.forEach((launch: PlannedLaunch) => {
    const args = launch.tensors.map((t) => buffers.get(t) as Float32Array);
    const parsed = parseComputes(launch.source.computes);
    if (parsed) fixed(parsed.op, parsed.params, args);
    else tunable(workloads.get(launch.node) as Workload, args);
  });
  return Object.fromEntries(
    plan.outputs.map(({ name }) => [name, buffers.get(plan.home.get(name) ?? '') as Float32Array]),
  );
}
