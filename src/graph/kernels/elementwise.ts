/** Elementwise kernels: broadcasting binary ops and the unary activations. */

import { broadcastStrides } from '../../util/shape.js';
import { type GraphNode, newData, numel, type TensorValue } from '../ir.js';
import { input, type Kernel, outInfo } from './types.js';

type Binary = (a: number, b: number) => number;

function binary(f: Binary, intF?: Binary): Kernel {
  return (node, inputs, outs) => {
    const a = input(node, inputs, 0);
    const b = input(node, inputs, 1);
    const info = outInfo(outs);
    const op = info.dtype === 'i64' && intF ? intF : f;
    const out = newData(info.dtype, numel(info.shape));
    const ad = a.data;
    const bd = b.data;
    if (ad.length === out.length && bd.length === out.length) {
      for (let i = 0; i < out.length; i++) out[i] = op(ad[i] as number, bd[i] as number);
    } else if (bd.length === 1 && ad.length === out.length) {
      const bv = bd[0] as number;
      for (let i = 0; i < out.length; i++) out[i] = op(ad[i] as number, bv);
    } else {
      broadcastLoop(info.shape, a.shape, b.shape, (o, ia, ib) => {
        out[o] = op(ad[ia] as number, bd[ib] as number);
      });
    }
    return [{ dtype: info.dtype, shape: info.shape, data: out }];
  };
}

/** Walks the output in order, keeping both input offsets up to date with a counter per axis. */
function broadcastLoop(
  out: readonly number[],
  aShape: readonly number[],
  bShape: readonly number[],
  visit: (o: number, ia: number, ib: number) => void,
): void {
  const sa = broadcastStrides(aShape, out);
  const sb = broadcastStrides(bShape, out);
  const rank = out.length;
  const total = numel(out);
  const counter = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o++) {
    visit(o, ia, ib);
    for (let d = rank - 1; d >= 0; d--) {
      const c = (counter[d] ?? 0) + 1;
      if (c < (out[d] ?? 1)) {
        counter[d] = c;
        ia += sa[d] ?? 0;
        ib += sb[d] ?? 0;
        break;
      }
      counter[d] = 0;
      ia -= (c - 1) * (sa[d] ?? 0);
      ib -= (c - 1) * (sb[d] ?? 0);
    }
  }
}

function unary(f: (x: number) => number): Kernel {
  return (node, inputs, outs) => {
    const x = input(node, inputs, 0);
    const info = outInfo(outs);
    const out = newData(info.dtype, x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(x.data[i] as number);
    return [{ dtype: info.dtype, shape: info.shape, data: out }];
  };
}

/**
 * erf(x): the Maclaurin series below |x| = 2 (its terms stay small there, so no cancellation),
 * above it the complementary function of Numerical Recipes (erfcc, Chebyshev fit, fractional
 * error under 1.2e-7 of erfc, which is itself under 0.005 there).
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 2) {
    const z2 = z * z;
    let term = z;
    let sum = z;
    for (let n = 1; n < 60 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= -z2 / n;
      sum += term / (2 * n + 1);
    }
    const value = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -value : value;
  }
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** Clip's bounds: inputs 1 and 2 (opset >= 11), each optional. */
function clip(
  node: GraphNode,
  inputs: (TensorValue | undefined)[],
  outs: Parameters<Kernel>[2],
): TensorValue[] {
  const lo = inputs[1]?.data[0] ?? Number.NEGATIVE_INFINITY;
  const hi = inputs[2]?.data[0] ?? Number.POSITIVE_INFINITY;
  return unary((x) => Math.min(Math.max(x, lo), hi))(node, inputs.slice(0, 1), outs);
}

const identity: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  return [{ dtype: x.dtype, shape: outInfo(outs).shape, data: x.data }];
};

export const ELEMENTWISE_KERNELS: Record<string, Kernel> = {
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary(
    (a, b) => a / b,
    (a, b) => Math.trunc(a / b),
  ),
  Pow: binary((a, b) => a ** b),
  Relu: unary((x) => Math.max(x, 0)),
  Erf: unary(erf),
  Sqrt: unary(Math.sqrt),
  Gelu: unary(gelu),
  Clip: clip,
  Cast: (node, inputs, outs) =>
    unary(outInfo(outs).dtype === 'i64' ? Math.trunc : (x) => x)(node, inputs, outs),
  Identity: identity,
  Dropout: identity,
};
