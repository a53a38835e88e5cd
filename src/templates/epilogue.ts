/**
 * The fused epilogue, written once for every template: out = acc * scale + shift (folded
 * batch-norm), + bias, + residual, then ReLU / ReLU6, in the order of ops/types.ts. IEEE fp32
 * throughout (no fast-math), so the kernels and the reference round alike.
 */
import type { Workload } from '../ops/index.js';
import type { ArgNames } from './cuda.js';

export interface StoreSite {
  /** Expression of the fp32 accumulator. */
  acc: string;
  /** Expression of the output channel (conv K, matmul N): indexes scale, shift and bias. */
  channel: string;
  /** Expression of the flat output index: indexes out and residual. */
  index: string;
}

/** The epilogue as an expression-free block of statements ending in the store to `out`. */
export function epilogueStore(w: Workload, names: ArgNames, site: StoreSite): string {
  const e = w.epilogue;
  const lines = [`float v_ = ${site.acc};`];
  if (e.bnScaleShift && names.scale && names.shift) {
    lines.push(
      `v_ = fmaf(v_, __ldg(&${names.scale}[${site.channel}]), __ldg(&${names.shift}[${site.channel}]));`,
    );
  }
  if (e.bias && names.bias) lines.push(`v_ += __ldg(&${names.bias}[${site.channel}]);`);
  if (e.residual && names.residual) lines.push(`v_ += __ldg(&${names.residual}[${site.index}]);`);
  if (e.activation === 'relu') lines.push('v_ = fmaxf(v_, 0.0f);');
  if (e.activation === 'relu6') lines.push('v_ = fminf(fmaxf(v_, 0.0f), 6.0f);');
  lines.push(`${names.out}[${site.index}] = v_;`);
  return `{ ${lines.join(' ')} }`;
}

/** Extra bytes the epilogue reads per output element (residual) and per channel (scale/shift/bias). */
export function epilogueBytes(w: Workload, outputs: number, channels: number): number {
  const e = w.epilogue;
  const perChannel = (e.bnScaleShift ? 2 : 0) + (e.bias ? 1 : 0);
  return 4 * (perChannel * channels + (e.residual ? outputs : 0));
}
