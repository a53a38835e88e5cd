/**
 * The output of a run on a real GPU against the references (check.ts says how and why this
 * tolerance); reference outputs may be kept on disk (reference-cache.ts).
 */
import { readFileSync } from 'node:fs';
import { exportOnnx, type Graph, isZooName } from '../graph/index.js';
import {
  compareOutput,
  FP32_TOLERANCE,
  type ReferenceEngine,
  referenceOutputs,
  TF32_TOLERANCE,
  TOLERANCE_RULE,
} from './check.js';
import { cachedReference } from './reference-cache.js';
import type { Correctness, ExecutionPlan, RunModelOptions } from './types.js';

export const SIM_NOT_CHECKED: Correctness = {
  checked: false,
  reason: 'not checked: the simulated GPU computes no values',
};

/** Compares `outputs` (the GPU's) with each reference engine on the same `inputs`. */
export async function checkCorrectness(
  o: RunModelOptions,
  graph: Graph,
  plan: ExecutionPlan,
  inputs: Record<string, Float32Array>,
  outputs: Record<string, Float32Array>,
  seed: number,
): Promise<Correctness> {
  if (o.check === false) return { checked: false, reason: 'not checked: the check was turned off' };
  const tolerance = plan.choices.some((c) => c.precision === 'tf32') ? TF32_TOLERANCE : FP32_TOLERANCE;
  const engines: readonly ReferenceEngine[] = o.references ?? ['cpu-reference', 'onnxruntime-cpu'];
  const onnxBytes = isZooName(o.model) ? undefined : new Uint8Array(readFileSync(o.model));
  const comparisons = [];
  const unavailable: { against: ReferenceEngine; reason: string }[] = [];
  for (const engine of engines) {
    const key = { engine, model: o.model, zoo: o.zoo ?? {}, seed };
    let want: Record<string, Float32Array>;
    try {
      want = await cachedReference(o.referenceCacheDir, key, () =>
        referenceOutputs(engine, graph, inputs, onnxBytes ?? exportOnnx(graph)),
      );
    } catch (e) {
      // A reference that cannot run says so; it neither passes nor fails the output.
      unavailable.push({ against: engine, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    for (const { name } of plan.outputs) {
      const got = outputs[name] ?? new Float32Array(0);
      comparisons.push(compareOutput(got, want[name] ?? [], engine, name, tolerance));
    }
  }
  return {
    checked: true,
    ok: comparisons.length > 0 && comparisons.every((c) => c.ok),
    tolerance,
    toleranceRule: TOLERANCE_RULE,
    comparisons,
    unavailable,
  };
}
