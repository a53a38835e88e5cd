import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/ir.js';
import { optimizeGraph } from '../../src/graph/passes/index.js';
import { randomGraphInputs, runReference } from '../../src/graph/reference.js';
import { extractTasks } from '../../src/graph/tasks.js';
import { listZoo, ZOO } from '../../src/graph/zoo/index.js';
import { RESNET18_WORKLOADS, workloadKey } from '../../src/ops/index.js';
import { defaultTemplateFor } from '../../src/templates/index.js';
import { maxRelError } from './helpers.js';
import {
  type Expected,
  expectedBertEncoder,
  expectedMobilenetV2,
  expectedResnet,
  expectedVgg16,
} from './zoo-expected.js';

/** Checks the task list and returns the optimized graph it came from. */
function checkTasks(graph: Graph, expected: Expected): Graph {
  const { tasks, nodeTasks, graph: optimized } = extractTasks(graph);
  const got = new Map(tasks.map((t) => [t.workloadKey, t.weight]));
  expect(got).toEqual(expected);
  for (const t of tasks) expect(t.template).toBe(defaultTemplateFor(t.workload).name);
  const tunable = optimized.nodes.filter((n) => n.workload);
  expect(nodeTasks.size).toBe(tunable.length);
  for (const n of tunable)
    expect(nodeTasks.get(n.name)).toBe(tasks.find((t) => t.workloadKey === workloadKey(n.workload!))?.key);
  return optimized;
}

describe('zoo task lists (224x224, sequence 128)', () => {
  it('lists the five models', () => {
    expect(listZoo().sort()).toEqual(['bert_encoder', 'mobilenet_v2', 'resnet18', 'resnet50', 'vgg16']);
  });

  it('resnet18: 15 conv2d tasks (11 shapes) and 1 dense, as the ops layer lists them', () => {
    const expected = expectedResnet([2, 2, 2, 2], false);
    expect(expected.size).toBe(16);
    expect(new Map(RESNET18_WORKLOADS.map((w) => [workloadKey(w.workload), w.count]))).toEqual(expected);
    checkTasks(ZOO.resnet18(), expected);
  });

  it('resnet50', () => {
    checkTasks(ZOO.resnet50(), expectedResnet([3, 4, 6, 3], true));
  });
  it('mobilenet_v2 (depthwise convs included)', () => {
    checkTasks(ZOO.mobilenet_v2(), expectedMobilenetV2());
  });
  it('vgg16', () => {
    checkTasks(ZOO.vgg16(), expectedVgg16());
  });
  it('bert_encoder (dense and batch_matmul)', () => {
    checkTasks(ZOO.bert_encoder(), expectedBertEncoder());
  });
});

/**
 * Every zoo model through the CPU reference path. ResNet-50 and VGG-16 (4 and 15 GMACs at
 * 224x224) run at a reduced input size, with their task lists checked at that size too.
 */
describe('zoo models through the reference path', () => {
  const cases: [string, () => Graph, Expected][] = [
    ['resnet18 at 112', () => ZOO.resnet18({ inputSize: 112 }), expectedResnet([2, 2, 2, 2], false, 112)],
    ['resnet50 at 64', () => ZOO.resnet50({ inputSize: 64 }), expectedResnet([3, 4, 6, 3], true, 64)],
    ['mobilenet_v2 at 224', () => ZOO.mobilenet_v2(), expectedMobilenetV2()],
    ['vgg16 at 32', () => ZOO.vgg16({ inputSize: 32 }), expectedVgg16(32)],
    ['bert_encoder at sequence 32', () => ZOO.bert_encoder({ seqLen: 32 }), expectedBertEncoder(32)],
  ];
  it.each(cases)('%s gives its tasks and finite, varied outputs', (_name, build, expected) => {
    const graph = build();
    const optimized = checkTasks(graph, expected);
    const out = runReference(optimized, randomGraphInputs(graph, 1))[graph.outputs[0] ?? '']?.data ?? [];
    expect(out.length).toBeGreaterThan(0);
    expect(Array.from(out).every(Number.isFinite)).toBe(true);
    // Random weights that kept activations alive give outputs that differ from one another.
    expect(Math.max(...out) - Math.min(...out)).toBeGreaterThan(1e-3);
  });

  it('resnet18: the optimized graph computes what the raw one does (BN folded, epilogues fused)', () => {
    const graph = ZOO.resnet18({ inputSize: 64 });
    const inputs = randomGraphInputs(graph, 4);
    const name = graph.outputs[0] ?? '';
    const raw = runReference(graph, inputs)[name]?.data ?? [];
    const fused = runReference(optimizeGraph(graph), inputs)[name]?.data ?? [];
    expect(maxRelError(fused, raw, 1e-2)).toBeLessThan(1e-4);
  });
});
