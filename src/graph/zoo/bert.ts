/**
 * One BERT-base encoder layer (hidden 768, 12 heads, FFN 3072, post-LayerNorm) at batch 1, as
 * PyTorch exports HuggingFace's BertLayer without an attention mask: MatMul + Add projections,
 * Reshape/Transpose into heads, scaled-dot-product Softmax, Erf-based GELU, residual Adds and
 * LayerNormalization.
 */

import { SlicetuneError } from '../../util/errors.js';
import { GraphBuilder } from '../builder.js';
import type { Graph } from '../ir.js';
import type { ZooOptions } from './options.js';

export const BERT_BASE = { hidden: 768, heads: 12, ffn: 3072, seqLen: 128 } as const;

/** GELU exactly as torch.onnx writes it below opset 20: x * 0.5 * (1 + erf(x / sqrt(2))). */
function erfGelu(b: GraphBuilder, x: string, p: string): string {
  const div = b.node('Div', `${p}/Div`, [x, b.constant(`${p}/sqrt2`, [], [Math.SQRT2])]);
  const erf = b.node('Erf', `${p}/Erf`, [div]);
  const plusOne = b.node('Add', `${p}/Add`, [erf, b.constant(`${p}/one`, [], [1])]);
  const times = b.node('Mul', `${p}/Mul`, [x, plusOne]);
  return b.node('Mul', `${p}/Mul_1`, [times, b.constant(`${p}/half`, [], [0.5])]);
}

function layerNorm(b: GraphBuilder, x: string, name: string): string {
  const hidden = BERT_BASE.hidden;
  const gamma = b.constant(`${name}.weight`, [hidden], new Float32Array(hidden).fill(1));
  const beta = b.constant(`${name}.bias`, [hidden], new Float32Array(hidden));
  return b.node('LayerNormalization', name, [x, gamma, beta], { axis: -1, epsilon: 1e-12 });
}

export function bertEncoder(options: ZooOptions = {}): Graph {
  const seq = options.seqLen ?? BERT_BASE.seqLen;
  if (!Number.isInteger(seq) || seq < 1) {
    throw new SlicetuneError('BAD_OPTION', `bert_encoder: sequence length ${seq} must be a positive integer`);
  }
  const { hidden, heads, ffn } = BERT_BASE;
  const headDim = hidden / heads;
  const b = new GraphBuilder('bert_encoder', options.seed ?? 1);
  const x = b.input('hidden_states', [1, seq, hidden]);
  const headsShape = b.ints('heads_shape', [1, seq, heads, headDim]);
  const toHeads = (t: string, name: string, perm: number[]) =>
    b.node('Transpose', `${name}/Transpose`, [b.node('Reshape', `${name}/Reshape`, [t, headsShape])], {
      perm,
    });
  const p = 'attention.self';
  const q = toHeads(b.linear(x, `${p}.query`, hidden), `${p}.query`, [0, 2, 1, 3]);
  const kT = toHeads(b.linear(x, `${p}.key`, hidden), `${p}.key`, [0, 2, 3, 1]);
  const v = toHeads(b.linear(x, `${p}.value`, hidden), `${p}.value`, [0, 2, 1, 3]);
  const scores = b.node('MatMul', `${p}/MatMul`, [q, kT]);
  const scaled = b.node('Div', `${p}/Div`, [scores, b.constant(`${p}/scale`, [], [Math.sqrt(headDim)])]);
  const probs = b.node('Softmax', `${p}/Softmax`, [scaled], { axis: -1 });
  const context = b.node('MatMul', `${p}/MatMul_1`, [probs, v]);
  const merged = b.node('Reshape', `${p}/Reshape_merge`, [
    b.node('Transpose', `${p}/Transpose_merge`, [context], { perm: [0, 2, 1, 3] }),
    b.ints('merged_shape', [1, seq, hidden]),
  ]);
  const attnOut = b.linear(merged, 'attention.output.dense', hidden);
  const h1 = layerNorm(b, b.node('Add', 'attention.output/Add', [attnOut, x]), 'attention.output.LayerNorm');
  const inter = erfGelu(b, b.linear(h1, 'intermediate.dense', ffn), 'intermediate.gelu');
  const out = b.linear(inter, 'output.dense', hidden);
  return b.finish([layerNorm(b, b.node('Add', 'output/Add', [out, h1]), 'output.LayerNorm')]);
}
