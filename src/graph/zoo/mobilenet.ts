/**
 * MobileNetV2 as torchvision defines it (width 1.0): a 3x3 stem, 17 inverted-residual blocks
 * (1x1 expand, 3x3 depthwise, 1x1 project, each with batch norm; ReLU6 as Clip(0, 6)), a 1x1
 * conv to 1280 channels, global average pooling and the classifier.
 */
import { GraphBuilder } from '../builder.js';
import type { Graph } from '../ir.js';
import { imageSize, type ZooOptions } from './options.js';

/** [expand ratio t, output channels c, repeats n, first stride s] */
export const MOBILENET_V2_SETTING: readonly [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function convBnRelu6(b: GraphBuilder, x: string, p: string, o: Parameters<GraphBuilder['conv']>[2]): string {
  return b.relu6(b.batchNorm(b.conv(x, `${p}.0`, o), `${p}.1`), `${p}.2`);
}

function invertedResidual(
  b: GraphBuilder,
  x: string,
  p: string,
  out: number,
  stride: number,
  t: number,
): string {
  const inp = b.shapeOf(x)[1] ?? 1;
  const hidden = Math.round(inp * t);
  let h = x;
  let i = 0;
  if (t !== 1) h = convBnRelu6(b, h, `${p}.conv.${i++}`, { out: hidden, kernel: 1 });
  h = convBnRelu6(b, h, `${p}.conv.${i++}`, { out: hidden, kernel: 3, stride, pad: 1, groups: hidden });
  h = b.batchNorm(b.conv(h, `${p}.conv.${i}`, { out, kernel: 1 }), `${p}.conv.${i + 1}`);
  return stride === 1 && inp === out ? b.node('Add', `${p}.add`, [x, h]) : h;
}

export function mobilenetV2(options: ZooOptions = {}): Graph {
  const size = imageSize('mobilenet_v2', options, 32);
  const b = new GraphBuilder('mobilenet_v2', options.seed ?? 1);
  let x = b.input('input', [1, 3, size, size]);
  x = convBnRelu6(b, x, 'features.0', { out: 32, kernel: 3, stride: 2, pad: 1 });
  let index = 1;
  for (const [t, c, n, s] of MOBILENET_V2_SETTING) {
    for (let i = 0; i < n; i++) x = invertedResidual(b, x, `features.${index++}`, c, i === 0 ? s : 1, t);
  }
  x = convBnRelu6(b, x, `features.${index}`, { out: 1280, kernel: 1 });
  x = b.node('GlobalAveragePool', 'avgpool', [x]);
  x = b.node('Flatten', 'flatten', [x], { axis: 1 });
  return b.finish([b.linear(x, 'classifier.1', 1000)]);
}
