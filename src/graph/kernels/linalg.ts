/**
 * Conv, Gemm and MatMul on the CPU for graphs that were not lowered to tunable nodes (and for
 * checking the passes). Conv runs the ops layer's conv2d reference (one conv loop in the code
 * base); sums are kept in float64.
 */
import { conv2dWorkload, cpuReference } from '../../ops/index.js';
import { convShape, window2d } from '../conv-attrs.js';
import { attrFloat, attrInt, numel, type TensorValue } from '../ir.js';
import { broadcastShapes, stridesOf } from '../shape-util.js';
import { input, type Kernel, outInfo } from './types.js';

const conv: Kernel = (node, inputs, outs) => {
  const x = input(node, inputs, 0);
  const w = input(node, inputs, 1);
  const info = outInfo(outs);
  const win = window2d(node, x.shape[2] ?? 1, x.shape[3] ?? 1, [w.shape[2] ?? 1, w.shape[3] ?? 1]);
  const [pt, pl, pb, pr] = win.pads;
  let data = x.data;
  let shape = convShape(
    { ...node, attrs: { ...node.attrs, pads: [pt, pl, pt, pl], auto_pad: 'NOTSET' } },
    x.shape,
    w.shape,
  );
  if (pt !== pb || pl !== pr) {
    // Asymmetric padding: pad the input explicitly, then run without padding.
    data = padInput(x, pt, pl, pb, pr);
    shape = { ...shape, h: shape.h + pt + pb, w: shape.w + pl + pr, padH: 0, padW: 0 };
  }
  const bias = inputs[2]?.data;
  const workload = conv2dWorkload(shape, { bias: bias !== undefined });
  const named: Record<string, Float32Array> = { data: asF32(data), weight: asF32(w.data) };
  if (bias) named.bias = asF32(bias);
  return [{ dtype: 'f32', shape: info.shape, data: cpuReference(workload, named) }];
};

function asF32(data: Float32Array | Float64Array): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

function padInput(x: TensorValue, pt: number, pl: number, pb: number, pr: number): Float32Array {
  const [n = 1, c = 1, h = 1, w = 1] = x.shape;
  const ph = h + pt + pb;
  const pw = w + pl + pr;
  const out = new Float32Array(n * c * ph * pw);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h; y++) {
      out.set(x.data.subarray((p * h + y) * w, (p * h + y + 1) * w), (p * ph + y + pt) * pw + pl);
    }
  }
  return out;
}

/** out[m, n] = sum_k a[m, k] * b[k, n] for one matrix pair at the given offsets (float64 row sums). */
function matmulInto(
  out: Float32Array,
  outOff: number,
  a: Float32Array | Float64Array,
  aOff: number,
  b: Float32Array | Float64Array,
  bOff: number,
  m: number,
  n: number,
  k: number,
): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[aOff + i * k + p] as number;
      if (av === 0) continue;
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) row[j] = (row[j] as number) + av * (b[bRow + j] as number);
    }
    for (let j = 0; j < n; j++) out[outOff + i * n + j] = row[j] as number;
  }
}

/** MatMul with numpy broadcasting of the batch dimensions. */
const matmul: Kernel = (node, inputs, outs) => {
  const a = input(node, inputs, 0);
  const b = input(node, inputs, 1);
  const info = outInfo(outs);
  const m = a.shape[a.shape.length - 2] ?? 1;
  const k = a.shape[a.shape.length - 1] ?? 1;
  const n = b.shape[b.shape.length - 1] ?? 1;
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)) ?? [];
  const out = new Float32Array(numel(info.shape));
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchStrides = stridesOf(batch);
  const offsetIn = (idx: number, own: number[]) => {
    // Map a flat index over the broadcast batch to a flat index over `own`.
    let flat = 0;
    const ownStrides = stridesOf(own);
    const shift = batch.length - own.length;
    for (let d = 0; d < batch.length; d++) {
      const coord = Math.floor(idx / (batchStrides[d] ?? 1)) % (batch[d] ?? 1);
      const od = d - shift;
      if (od >= 0 && own[od] !== 1) flat += coord * (ownStrides[od] ?? 0);
    }
    return flat;
  };
  for (let bi = 0; bi < numel(batch); bi++) {
    const aOff = offsetIn(bi, aBatch) * m * k;
    const bOff = offsetIn(bi, bBatch) * k * n;
    matmulInto(out, bi * m * n, a.data, aOff, b.data, bOff, m, n, k);
  }
  return [{ dtype: 'f32', shape: info.shape, data: out }];
};

/** Gemm: alpha * A' B' + beta * C, with A' and B' optionally transposed. */
const gemm: Kernel = (node, inputs, outs) => {
  const a = input(node, inputs, 0);
  const b = input(node, inputs, 1);
  const info = outInfo(outs);
  const [m = 1, n = 1] = info.shape;
  const transA = attrInt(node, 'transA', 0) === 1;
  const transB = attrInt(node, 'transB', 0) === 1;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const k = transA ? (a.shape[0] ?? 1) : (a.shape[1] ?? 1);
  const c = inputs[2];
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const av = a.data[transA ? p * m + i : i * k + p] as number;
        const bv = b.data[transB ? j * k + p : p * n + j] as number;
        acc += av * bv;
      }
      let cv = 0;
      if (c) {
        // C broadcasts to [m, n] from [n], [1, n], [m, 1] or a scalar.
        const [cm, cn] = c.shape.length === 2 ? c.shape : [1, c.shape[0] ?? 1];
        cv = c.data[(cm === 1 ? 0 : i) * (cn ?? 1) + (cn === 1 ? 0 : j)] as number;
      }
      out[i * n + j] = alpha * acc + beta * cv;
    }
  }
  return [{ dtype: 'f32', shape: info.shape, data: out }];
};

export const LINALG_KERNELS: Record<string, Kernel> = { Conv: conv, MatMul: matmul, Gemm: gemm };
