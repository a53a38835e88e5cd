/**
 * Fused epilogues: the work done on each output element after the reduction, always in the order
 * of ops/types.ts: folded batch-norm (acc * scale + shift), bias, residual add, activation.
 */
import { SlicetuneError } from '../util/errors.js';
import type { Activation, Epilogue } from './types.js';
import { NO_EPILOGUE } from './types.js';

export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'relu6'];

export function normalizeEpilogue(partial: Partial<Epilogue> = {}): Epilogue {
  const epilogue: Epilogue = { ...NO_EPILOGUE, ...partial };
  for (const flag of ['bias', 'bnScaleShift', 'residual'] as const) {
    if (typeof epilogue[flag] !== 'boolean') {
      throw new SlicetuneError(
        'BAD_SHAPE',
        `epilogue.${flag} must be a boolean, got ${String(epilogue[flag])}`,
      );
    }
  }
  if (!ACTIVATIONS.includes(epilogue.activation)) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `epilogue.activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(epilogue.activation)}`,
    );
  }
  return epilogue;
}

/** `+bn+bias+residual+relu` style suffix for keys and names; empty for no epilogue. */
export function epilogueSuffix(e: Epilogue): string {
  let s = '';
  if (e.bnScaleShift) s += '+bn';
  if (e.bias) s += '+bias';
  if (e.residual) s += '+residual';
  if (e.activation !== 'none') s += `+${e.activation}`;
  return s;
}

/**
 * Floating-point operations per output element: scale/shift 2, bias 1, residual 1,
 * relu 1 (one max), relu6 2 (a max and a min).
 */
export function epilogueOpsPerElement(e: Epilogue): number {
  const activationOps = e.activation === 'relu' ? 1 : e.activation === 'relu6' ? 2 : 0;
  return (e.bnScaleShift ? 2 : 0) + (e.bias ? 1 : 0) + (e.residual ? 1 : 0) + activationOps;
}

/** Per-channel epilogue tensors in canonical argument order (scale, shift, bias). */
export function channelTensorNames(e: Epilogue): string[] {
  const names: string[] = [];
  if (e.bnScaleShift) names.push('scale', 'shift');
  if (e.bias) names.push('bias');
  return names;
}

export interface EpilogueInputs {
  scale?: Float32Array;
  shift?: Float32Array;
  bias?: Float32Array;
  residual?: Float32Array;
}

/**
 * Applies the epilogue to float64 accumulators laid out as [outer][channel][inner] and rounds to
 * f32 once at the end. `channels`: conv K (inner = OH*OW), dense N (inner = 1).
 */
export function applyEpilogue(
  e: Epilogue,
  acc: Float64Array,
  layout: { channels: number; inner: number },
  t: EpilogueInputs,
): Float32Array {
  const out = new Float32Array(acc.length);
  const { channels, inner } = layout;
  for (let i = 0; i < acc.length; i++) {
    const ch = Math.floor(i / inner) % channels;
    let v = acc[i] as number;
    if (e.bnScaleShift) v = v * (t.scale?.[ch] as number) + (t.shift?.[ch] as number);
    if (e.bias) v += t.bias?.[ch] as number;
    if (e.residual) v += t.residual?.[i] as number;
    if (e.activation === 'relu') v = Math.max(v, 0);
    else if (e.activation === 'relu6') v = Math.min(Math.max(v, 0), 6);
    out[i] = v;
  }
  return out;
}
