import { describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { extractTasks, type Graph, randomGraphInputs, runReference, ZOO } from '../../src/graph/index.js';
import { planExecution } from '../../src/runtime/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { maxScaledError, smallCnn } from '../graph/helpers.js';
import { interpretPlan } from './interpret.js';

const device = SIM_DEVICE_INFO;
const plan = (g: Graph) => planExecution(g, device, { percent: 100, deviceName: device.name }).plan;

/** A graph with the layout and row ops the CNN zoo lacks: split, concat, slice, softmax on axis 1. */
function layoutGraph(): Graph {
  const b = new GraphBuilder('layout_ops', 3);
  const x = b.input('x', [2, 6, 5]);
  const [p, q] = b.nodeOutputs('Split', 'split', [x], { axis: 1 }, 2);
  const t = b.node('Transpose', 'transpose', [p as string], { perm: [2, 0, 1] });
  const back = b.node('Transpose', 'transpose_back', [t], { perm: [1, 2, 0] });
  const cat = b.node('Concat', 'concat', [q as string, back, q as string], { axis: 1 });
  const starts = b.ints('starts', [1, 4]);
  const ends = b.ints('ends', [2, -6]);
  const axes = b.ints('axes', [0, 2]);
  const steps = b.ints('steps', [1, -2]);
  const sliced = b.node('Slice', 'slice', [cat, starts, ends, axes, steps]);
  const soft = b.node('Softmax', 'softmax', [sliced], { axis: 1 });
  const clipped = b.node('Clip', 'clip', [soft, b.constant('lo', [], [0.05]), b.constant('hi', [], [0.3])]);
  const scaled = b.node('Mul', 'mul', [
    clipped,
    b.constant('row_scale', [9, 1], [0.5, 2, 3, 1, 4, 0.25, 1.5, 3, 2]),
  ]);
  return b.finish([b.node('Sqrt', 'sqrt', [scaled])]);
}

describe('execution plan', () => {
  it('gives every launch argument a buffer, aliases Flatten, and uploads only f32 weights kernels read', () => {
    const { graph } = extractTasks(ZOO.resnet18({ inputSize: 32 }));
    const p = plan(graph);
    const flatten = graph.nodes.find((n) => n.op === 'Flatten');
    const gap = graph.nodes.find((n) => n.op === 'GlobalAveragePool');
    expect(p.home.get(flatten?.outputs[0] ?? '')).toBe(gap?.outputs[0]);
    expect(p.aliasNodes).toBe(1);
    for (const l of p.launches) {
      l.source.args.forEach((arg, i) => {
        const at = p.storage.get(l.tensors[i] ?? '');
        expect(at?.elements).toBe(arg.kind === 'buffer' ? arg.elements : -1);
      });
    }
    const weights = [...p.storage.values()].filter((s) => s.role === 'weight').length;
    expect(weights).toBe(graph.initializers.length);
    expect(p.choices).toHaveLength(graph.nodes.filter((n) => n.workload).length);
    expect(p.choices.every((c) => !c.tuned && c.note.includes('no record store'))).toBe(true);
  });

  it('interprets, launch by launch, to what the CPU reference computes (small CNN)', () => {
    const raw = smallCnn();
    const { graph } = extractTasks(raw);
    const inputs = randomGraphInputs(raw, 4);
    const got = interpretPlan(plan(graph), graph, inputs);
    const want = runReference(raw, inputs);
    for (const name of raw.outputs)
      expect(maxScaledError(got[name] ?? [], want[name]?.data ?? [])).toBeLessThan(1e-5);
  });

  it.each([
    ['bert_encoder', () => ZOO.bert_encoder({ seqLen: 8 })],
    ['mobilenet_v2', () => ZOO.mobilenet_v2({ inputSize: 32 })],
    ['layout ops', layoutGraph],
  ])('interprets %s to what the CPU reference computes', (_name, build) => {
    const raw = build();
    const { graph } = extractTasks(raw);
    const inputs = randomGraphInputs(raw, 2);
    const p = plan(graph);
    const got = interpretPlan(p, graph, inputs);
    const want = runReference(raw, inputs);
    for (const name of raw.outputs) {
      const out = got[name] ?? new Float32Array(0);
      expect(out.some(Number.isNaN)).toBe(false);
      expect(maxScaledError(out, want[name]?.data ?? [])).toBeLessThan(1e-5);
    }
  });

  it('refuses an operator it has no kernel for, naming the node', () => {
    const b = new GraphBuilder('unsupported', 1);
    const x = b.input('x', [2, 8]);
    const g = b.finish([b.node('ReduceMean', 'row_mean', [x], { axes: [1] })]);
    let err: unknown;
    try {
      plan(g);
    } catch (e) {
      err = e;
    }
    expect(isSlicetuneError(err, 'UNSUPPORTED_OP')).toBe(true);
    expect(String((err as Error).message)).toContain("node 'row_mean' (ReduceMean)");
  });
});
