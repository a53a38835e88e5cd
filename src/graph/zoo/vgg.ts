/**
 * VGG-16 (configuration D, no batch norm) as torchvision defines it: 13 3x3 convs with bias and
 * ReLU, 5 max pools, three Linear layers. At 224x224 the features end at 7x7, where torchvision's
 * AdaptiveAvgPool2d(7) is the identity and is left out. At a smaller input size the first
 * Linear takes 512 * (size/32)^2 features instead (a reduced model for CPU reference runs).
 */
import { GraphBuilder } from '../builder.js';
import type { Graph } from '../ir.js';
import { imageSize, type ZooOptions } from './options.js';

/** Output channels of each conv; 'M' is a 2x2 max pool. */
export const VGG16_CONFIG: readonly (number | 'M')[] = [
  64,
  64,
  'M',
  128,
  128,
  'M',
  256,
  256,
  256,
  'M',
  512,
  512,
  512,
  'M',
  512,
  512,
  512,
  'M',
];

export function vgg16(options: ZooOptions = {}): Graph {
  const size = imageSize('vgg16', options, 32);
  const b = new GraphBuilder('vgg16', options.seed ?? 1);
  let x = b.input('input', [1, 3, size, size]);
  VGG16_CONFIG.forEach((v, i) => {
    const p = `features.${i}`;
    if (v === 'M') {
      x = b.node('MaxPool', p, [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] });
    } else {
      x = b.relu(b.conv(x, p, { out: v, kernel: 3, pad: 1, bias: true }), `${p}.relu`);
    }
  });
  x = b.node('Flatten', 'flatten', [x], { axis: 1 });
  x = b.relu(b.linear(x, 'classifier.0', 4096), 'classifier.1');
  x = b.relu(b.linear(x, 'classifier.3', 4096), 'classifier.4');
  return b.finish([b.linear(x, 'classifier.6', 1000)]);
}
