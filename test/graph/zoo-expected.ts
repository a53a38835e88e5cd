/**
 * The tasks each zoo model must give, worked out from the architectures (torchvision, BERT-base)
 * and slicetune's fusion rules, independently of the graph passes: batch norm folds into the conv
 * as a bias; a block's residual add goes into its main path's last conv, before the ReLU; a
 * downsample conv keeps only its bias; ReLU6 fuses as relu6; Linear biases fuse.
 */
import { MOBILENET_V2_SETTING, VGG16_CONFIG } from '../../src/graph/zoo/index.js';
import {
  batchMatmulWorkload,
  conv2dWorkload,
  denseWorkload,
  type Epilogue,
  type Workload,
  workloadKey,
} from '../../src/ops/index.js';

export type Expected = Map<string, number>;

const B: Partial<Epilogue> = { bias: true };
const BR: Partial<Epilogue> = { bias: true, activation: 'relu' };
const BRR: Partial<Epilogue> = { bias: true, residual: true, activation: 'relu' };
const B6: Partial<Epilogue> = { bias: true, activation: 'relu6' };

function add(map: Expected, w: Workload): void {
  const key = workloadKey(w);
  map.set(key, (map.get(key) ?? 0) + 1);
}

function conv(
  c: number,
  hw: number,
  k: number,
  r: number,
  stride: number,
  pad: number,
  e: Partial<Epilogue>,
  groups = 1,
) {
  return conv2dWorkload(
    { n: 1, c, h: hw, w: hw, k, r, s: r, strideH: stride, strideW: stride, padH: pad, padW: pad, groups },
    e,
  );
}

export function expectedResnet(layers: number[], bottleneck: boolean, size = 224): Expected {
  const map: Expected = new Map();
  add(map, conv(3, size, 64, 7, 2, 3, BR));
  // Stem conv (7x7, stride 2, pad 3) and max pool (3x3, stride 2, pad 1) each round up.
  let hw = Math.ceil(Math.ceil(size / 2) / 2);
  let channels = 64;
  layers.forEach((count, stage) => {
    const planes = 64 * 2 ** stage;
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const out = bottleneck ? planes * 4 : planes;
      if (bottleneck) {
        add(map, conv(channels, hw, planes, 1, 1, 0, BR));
        add(map, conv(planes, hw, planes, 3, stride, 1, BR));
        add(map, conv(planes, Math.ceil(hw / stride), out, 1, 1, 0, BRR));
      } else {
        add(map, conv(channels, hw, planes, 3, stride, 1, BR));
        add(map, conv(planes, Math.ceil(hw / stride), planes, 3, 1, 1, BRR));
      }
      if (stride !== 1 || channels !== out) add(map, conv(channels, hw, out, 1, stride, 0, B));
      channels = out;
      hw = Math.ceil(hw / stride);
    }
  });
  add(map, denseWorkload({ m: 1, n: 1000, k: channels }, B));
  return map;
}

export function expectedMobilenetV2(size = 224): Expected {
  const map: Expected = new Map();
  add(map, conv(3, size, 32, 3, 2, 1, B6));
  let hw = Math.ceil(size / 2);
  let channels = 32;
  for (const [t, c, n, s] of MOBILENET_V2_SETTING) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = channels * t;
      if (t !== 1) add(map, conv(channels, hw, hidden, 1, 1, 0, B6));
      add(map, conv(hidden, hw, hidden, 3, stride, 1, B6, hidden));
      const residual = stride === 1 && channels === c;
      add(map, conv(hidden, Math.ceil(hw / stride), c, 1, 1, 0, { bias: true, residual }));
      channels = c;
      hw = Math.ceil(hw / stride);
    }
  }
  add(map, conv(320, hw, 1280, 1, 1, 0, B6));
  add(map, denseWorkload({ m: 1, n: 1000, k: 1280 }, B));
  return map;
}

export function expectedVgg16(size = 224): Expected {
  const map: Expected = new Map();
  let hw = size;
  let channels = 3;
  for (const v of VGG16_CONFIG) {
    if (v === 'M') {
      hw = Math.floor(hw / 2);
      continue;
    }
    add(map, conv(channels, hw, v, 3, 1, 1, BR));
    channels = v;
  }
  add(map, denseWorkload({ m: 1, n: 4096, k: 512 * hw * hw }, BR));
  add(map, denseWorkload({ m: 1, n: 4096, k: 4096 }, BR));
  add(map, denseWorkload({ m: 1, n: 1000, k: 4096 }, B));
  return map;
}

export function expectedBertEncoder(seq = 128): Expected {
  const map: Expected = new Map();
  const [hidden, heads, ffn] = [768, 12, 3072];
  for (let i = 0; i < 3; i++) add(map, denseWorkload({ m: seq, n: hidden, k: hidden }, B)); // Q, K, V
  add(map, batchMatmulWorkload({ b: heads, m: seq, n: seq, k: hidden / heads })); // Q K^T
  add(map, batchMatmulWorkload({ b: heads, m: seq, n: hidden / heads, k: seq })); // probs V
  add(map, denseWorkload({ m: seq, n: hidden, k: hidden }, { bias: true, residual: true })); // attention output
  add(map, denseWorkload({ m: seq, n: ffn, k: hidden }, B)); // GELU stays a separate node
  add(map, denseWorkload({ m: seq, n: hidden, k: ffn }, { bias: true, residual: true }));
  return map;
}
