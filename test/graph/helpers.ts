/** Small graphs and comparisons shared by the graph tests. */
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Graph } from '../../src/graph/ir.js';

/** conv+bn+relu, a residual block, pooling, a 1x1 conv, global pooling, gemm and softmax. */
export function smallCnn(seed = 7): Graph {
  const b = new GraphBuilder('small_cnn', seed);
  let x = b.input('image', [1, 3, 16, 16]);
  x = b.relu(b.batchNorm(b.conv(x, 'conv1', { out: 8, kernel: 3, pad: 1 }), 'bn1'), 'relu1');
  const branch = b.batchNorm(b.conv(x, 'conv2', { out: 8, kernel: 3, pad: 1 }), 'bn2');
  x = b.relu(b.node('Add', 'add', [branch, x]), 'relu2');
  x = b.node('MaxPool', 'pool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  x = b.relu6(b.conv(x, 'conv3', { out: 16, kernel: 1, bias: true }), 'clip');
  x = b.node('AveragePool', 'avg', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
  x = b.node('Flatten', 'flatten', [b.node('GlobalAveragePool', 'gap', [x])], { axis: 1 });
  const logits = b.linear(x, 'fc', 10);
  return b.finish([b.node('Softmax', 'softmax', [logits], { axis: -1 })]);
}

/** Largest |a - b| / max(|b|, floor) over the arrays. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), floor));
  }
  return worst;
}

/** Largest |a - b| relative to the largest |b| (for outputs that cross zero, like LayerNorm's). */
export function maxScaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / scale;
}
