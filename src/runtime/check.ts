/**
 * Is the GPU's output right? Compared with slicetune's CPU reference executor (float64 sums over
 * the unoptimized graph) and with onnxruntime-node on the CPU (the model as ONNX: the file
 * itself, or a zoo model exported).
 *
 * Tolerance: the largest |gpu - ref| over an output, divided by the largest |ref| (a scaled
 * error: logits and LayerNorm outputs cross zero, so element-wise relative errors mean nothing
 * there). fp32 rounds at 6e-8 per operation; a reduction of K terms in another order differs by
 * up to ~K x 6e-8 in the worst case and ~sqrt(K) x 6e-8 typically, and a deep network compounds
 * that layer after layer (ResNet-50: 50 layers, K up to 4608). 1e-3 of the output's scale leaves
 * room for that and still catches any indexing or epilogue bug, whose errors are O(1). TF32
 * tensor cores round products to 10 mantissa bits (5e-4): 3e-2.
 */
import type * as Ort from 'onnxruntime-node';
import type { Graph } from '../graph/ir.js';
import { exportOnnx } from '../graph/onnx/export.js';
import { runReference } from '../graph/reference.js';
import type { ReferenceComparison } from './types.js';

export const FP32_TOLERANCE = 1e-3;
export const TF32_TOLERANCE = 3e-2;
export const TOLERANCE_RULE =
  'max |gpu - ref| / max |ref| over each output; 1e-3 for fp32 (6e-8 rounding per op, compounded over the depth and reductions of the network), 3e-2 with TF32 kernels';

export type ReferenceEngine = 'cpu-reference' | 'onnxruntime-cpu';
export const REFERENCE_ENGINES: readonly ReferenceEngine[] = ['cpu-reference', 'onnxruntime-cpu'];

export function compareOutput(
  got: Float32Array,
  want: ArrayLike<number>,
  against: ReferenceEngine,
  output: string,
  tolerance: number,
): ReferenceComparison {
  let diff = 0;
  let scale = 0;
  let nonFinite = 0;
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    if (!Number.isFinite(g)) nonFinite++;
    diff = Math.max(diff, Math.abs(g - w));
    scale = Math.max(scale, Math.abs(w));
  }
  const lengthsAgree = got.length >= want.length;
  const scaledError = lengthsAgree ? (scale > 0 ? diff / scale : diff) : Number.POSITIVE_INFINITY;
  return {
    against,
    output,
    scaledError,
    maxAbsError: diff,
    tolerance,
    nonFinite,
    ok: nonFinite === 0 && scaledError <= tolerance,
  };
}

/** The graph's outputs from one engine, on the given inputs. */
export async function referenceOutputs(
  engine: ReferenceEngine,
  graph: Graph,
  inputs: Readonly<Record<string, Float32Array>>,
  onnxBytes?: Uint8Array,
): Promise<Record<string, Float32Array>> {
  if (engine === 'cpu-reference') {
    const out = runReference(graph, { ...inputs });
    return Object.fromEntries(
      Object.entries(out).map(([name, v]) => [
        name,
        v.data instanceof Float32Array ? v.data : Float32Array.from(v.data),
      ]),
    );
  }
  // Loaded on first use: a GPU host may carry slicetune without the CPU ONNX runtime.
  const ort: typeof Ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(onnxBytes ?? exportOnnx(graph));
  try {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const info of graph.inputs) {
      feeds[info.name] = new ort.Tensor('float32', inputs[info.name] ?? new Float32Array(0), info.shape);
    }
    const results = await session.run(feeds);
    return Object.fromEntries(
      Object.entries(results).map(([name, t]) => [name, Float32Array.from(t.data as Float32Array)]),
    );
  } finally {
    await session.release();
  }
}
