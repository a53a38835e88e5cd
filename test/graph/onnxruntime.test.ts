import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/graph/onnx/export.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { optimizeGraph } from '../../src/graph/passes/index.js';
import { randomGraphInputs, runReference } from '../../src/graph/reference.js';
import { ZOO } from '../../src/graph/zoo/index.js';
import { maxRelError, maxScaledError, smallCnn } from './helpers.js';

async function runOrt(
  bytes: Uint8Array,
  inputs: Record<string, Float32Array>,
  shapes: Record<string, number[]>,
) {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(inputs))
    feeds[name] = new ort.Tensor('float32', data, shapes[name]);
  const results = await session.run(feeds);
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.data as Float32Array]));
}

describe('onnxruntime-node agreement', () => {
  it('agrees with the importer and the reference executor on a small CNN, raw and optimized', async () => {
    const graph = smallCnn();
    const bytes = exportOnnx(graph);
    const inputs = randomGraphInputs(graph, 3);
    const shapes = Object.fromEntries(graph.inputs.map((i) => [i.name, i.shape]));
    const expected = await runOrt(bytes, inputs, shapes);
    const imported = importOnnx(bytes, { source: 'small_cnn.onnx' });
    const output = graph.outputs[0] ?? '';
    const ortOut = expected[output];
    expect(ortOut).toBeDefined();
    const raw = runReference(imported, inputs)[output];
    const optimized = optimizeGraph(imported);
    expect(optimized.nodes.some((n) => n.op === 'BatchNormalization')).toBe(false);
    const fused = runReference(optimized, inputs)[output];
    expect(maxRelError(raw?.data ?? [], ortOut ?? [])).toBeLessThan(1e-4);
    expect(maxRelError(fused?.data ?? [], ortOut ?? [])).toBeLessThan(1e-4);
    // Softmax output: a distribution that is not uniform (the weights did something).
    const probs = Array.from(fused?.data ?? []);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.max(...probs) - Math.min(...probs)).toBeGreaterThan(1e-3);
  });

  it('runs an exported optimized graph (fused nodes written back as ONNX) the same way', async () => {
    const optimized = optimizeGraph(smallCnn(11));
    const inputs = randomGraphInputs(optimized, 5);
    const shapes = Object.fromEntries(optimized.inputs.map((i) => [i.name, i.shape]));
    const expected = await runOrt(exportOnnx(optimized), inputs, shapes);
    const output = optimized.outputs[0] ?? '';
    const mine = runReference(optimized, inputs)[output];
    expect(maxRelError(mine?.data ?? [], expected[output] ?? [])).toBeLessThan(1e-4);
  });

  it.each([
    ['bert_encoder', () => ZOO.bert_encoder({ seqLen: 8 })],
    ['mobilenet_v2', () => ZOO.mobilenet_v2({ inputSize: 64 })],
  ])('agrees on the zoo model %s (reduced size) after the passes', async (_name, build) => {
    const graph = build();
    const inputs = randomGraphInputs(graph, 9);
    const shapes = Object.fromEntries(graph.inputs.map((i) => [i.name, i.shape]));
    const expected = await runOrt(exportOnnx(graph), inputs, shapes);
    const optimized = optimizeGraph(graph);
    const output = graph.outputs[0] ?? '';
    const mine = runReference(optimized, inputs)[output];
    // onnxruntime sums in float32 (k up to 3072 here), the reference in float64: compare to the scale.
    expect(maxScaledError(mine?.data ?? [], expected[output] ?? [])).toBeLessThan(1e-5);
    expect(maxRelError(mine?.data ?? [], expected[output] ?? [], 1e-1)).toBeLessThan(1e-4);
  });
});
