import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import { exportOnnx, extractTasks, loadModel, randomGraphInputs } from '../../src/graph/index.js';
import { checkCorrectness } from '../../src/runtime/correctness.js';
import {
  compareOutput,
  FP32_TOLERANCE,
  planExecution,
  referenceOutputs,
  TF32_TOLERANCE,
} from '../../src/runtime/index.js';
import type { RunModelOptions } from '../../src/runtime/types.js';
import { smallCnn } from '../graph/helpers.js';
import { interpretPlan } from './interpret.js';

describe('correctness against the references', () => {
  it('scales the error by the largest reference value and counts non-finite outputs', () => {
    const want = [10, -20, 0.5, 0];
    const close = compareOutput(
      Float32Array.from([10, -20.01, 0.5, 0]),
      want,
      'cpu-reference',
      'y',
      FP32_TOLERANCE,
    );
    expect(close.scaledError).toBeCloseTo(0.01 / 20, 6);
    expect(close.ok).toBe(true);
    const off = compareOutput(
      Float32Array.from([10, -20, 0.6, 0]),
      want,
      'cpu-reference',
      'y',
      FP32_TOLERANCE,
    );
    expect(off.ok).toBe(false);
    const nan = compareOutput(Float32Array.from([10, -20, Number.NaN, 0]), want, 'onnxruntime-cpu', 'y', 1);
    expect(nan).toMatchObject({ nonFinite: 1, ok: false });
    const short = compareOutput(Float32Array.from([10]), want, 'cpu-reference', 'y', 1);
    expect(short.ok).toBe(false);
  });

  it('gets the same outputs from the CPU reference executor and onnxruntime-node', async () => {
    const graph = smallCnn(5);
    const inputs = randomGraphInputs(graph, 8);
    const cpu = await referenceOutputs('cpu-reference', graph, inputs);
    const ort = await referenceOutputs('onnxruntime-cpu', graph, inputs);
    const name = graph.outputs[0] ?? '';
    const c = compareOutput(
      ort[name] ?? new Float32Array(0),
      cpu[name] ?? [],
      'onnxruntime-cpu',
      name,
      FP32_TOLERANCE,
    );
    expect(c.ok).toBe(true);
    expect(c.scaledError).toBeLessThan(1e-5);
  });
});

describe('checkCorrectness (the real-GPU path, with the plan interpreted on the CPU as the GPU)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slicetune-check-'));
  const path = join(dir, 'small.onnx');
  writeFileSync(path, exportOnnx(smallCnn(9)));
  const graph = loadModel(path);
  const { graph: optimized } = extractTasks(graph);
  const { plan } = planExecution(optimized, SIM_DEVICE_INFO, {
    percent: 100,
    deviceName: SIM_DEVICE_INFO.name,
  });
  const inputs = randomGraphInputs(graph, 6);
  const outputs = interpretPlan(plan, optimized, inputs);
  const o: RunModelOptions = { model: path, percent: 100, mechanism: 'exclusive', device: 'cuda' };

  it('passes a right output against both references, and keeps them in the cache directory', async () => {
    const cache = join(dir, 'refs');
    const c = await checkCorrectness({ ...o, referenceCacheDir: cache }, graph, plan, inputs, outputs, 6);
    if (!c.checked) throw new Error('expected a check');
    expect(c.ok).toBe(true);
    expect(c.tolerance).toBe(FP32_TOLERANCE);
    expect(c.comparisons.map((x) => x.against)).toEqual(['cpu-reference', 'onnxruntime-cpu']);
    expect(c.unavailable).toEqual([]);
    expect(readdirSync(cache)).toHaveLength(2);
    const again = await checkCorrectness({ ...o, referenceCacheDir: cache }, graph, plan, inputs, outputs, 6);
    expect(again).toEqual(c);
  });

  it('fails a wrong output, and loosens the tolerance only for TF32 kernels', async () => {
    const name = plan.outputs[0]?.name ?? '';
    const wrong = { [name]: Float32Array.from(outputs[name] ?? [], (v, i) => (i === 3 ? v + 0.05 : v)) };
    const c = await checkCorrectness({ ...o, references: ['cpu-reference'] }, graph, plan, inputs, wrong, 6);
    expect(c.checked && c.ok).toBe(false);
    const tf32Plan = {
      ...plan,
      choices: plan.choices.map((x, i) => (i === 0 ? { ...x, precision: 'tf32' as const } : x)),
    };
    const loose = await checkCorrectness(
      { ...o, references: ['cpu-reference'] },
      graph,
      tf32Plan,
      inputs,
      outputs,
      6,
    );
    expect(loose.checked && loose.tolerance).toBe(TF32_TOLERANCE);
  });

  it('says so when the check is off', async () => {
    expect(await checkCorrectness({ ...o, check: false }, graph, plan, inputs, outputs, 6)).toEqual({
      checked: false,
      reason: 'not checked: the check was turned off',
    });
  });
});
