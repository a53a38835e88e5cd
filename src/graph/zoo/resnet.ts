/**
 * ResNet-18 and ResNet-50 as torchvision defines them (v1.5: the bottleneck's stride sits on its
 * 3x3 conv), exported the PyTorch way: conv -> BatchNormalization -> Relu, Add for the shortcut.
 */
import { GraphBuilder } from '../builder.js';
import type { Graph } from '../ir.js';
import type { ZooOptions } from './options.js';
import { imageSize } from './options.js';

type Block = 'basic' | 'bottleneck';

function convBn(
  b: GraphBuilder,
  x: string,
  name: string,
  bnName: string,
  o: Parameters<GraphBuilder['conv']>[2],
) {
  return b.batchNorm(b.conv(x, name, o), bnName);
}

function basicBlock(b: GraphBuilder, x: string, p: string, planes: number, stride: number): string {
  const inPlanes = b.shapeOf(x)[1];
  let out = b.relu(
    convBn(b, x, `${p}.conv1`, `${p}.bn1`, { out: planes, kernel: 3, stride, pad: 1 }),
    `${p}.relu1`,
  );
  out = convBn(b, out, `${p}.conv2`, `${p}.bn2`, { out: planes, kernel: 3, pad: 1 });
  const identity =
    stride !== 1 || inPlanes !== planes
      ? convBn(b, x, `${p}.downsample.0`, `${p}.downsample.1`, { out: planes, kernel: 1, stride })
      : x;
  return b.relu(b.node('Add', `${p}.add`, [out, identity]), `${p}.relu2`);
}

function bottleneck(b: GraphBuilder, x: string, p: string, planes: number, stride: number): string {
  const inPlanes = b.shapeOf(x)[1];
  const expanded = planes * 4;
  let out = b.relu(convBn(b, x, `${p}.conv1`, `${p}.bn1`, { out: planes, kernel: 1 }), `${p}.relu1`);
  out = b.relu(
    convBn(b, out, `${p}.conv2`, `${p}.bn2`, { out: planes, kernel: 3, stride, pad: 1 }),
    `${p}.relu2`,
  );
  out = convBn(b, out, `${p}.conv3`, `${p}.bn3`, { out: expanded, kernel: 1 });
  const identity =
    stride !== 1 || inPlanes !== expanded
      ? convBn(b, x, `${p}.downsample.0`, `${p}.downsample.1`, { out: expanded, kernel: 1, stride })
      : x;
  return b.relu(b.node('Add', `${p}.add`, [out, identity]), `${p}.relu3`);
}

function resnet(name: string, block: Block, layers: number[], options: ZooOptions): Graph {
  const size = imageSize(name, options, 32);
  const b = new GraphBuilder(name, options.seed ?? 1);
  let x = b.input('input', [1, 3, size, size]);
  x = b.relu(convBn(b, x, 'conv1', 'bn1', { out: 64, kernel: 7, stride: 2, pad: 3 }), 'relu');
  x = b.node('MaxPool', 'maxpool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const makeBlock = block === 'basic' ? basicBlock : bottleneck;
  layers.forEach((count, i) => {
    const planes = 64 * 2 ** i;
    for (let j = 0; j < count; j++) {
      x = makeBlock(b, x, `layer${i + 1}.${j}`, planes, j === 0 && i > 0 ? 2 : 1);
    }
  });
  x = b.node('GlobalAveragePool', 'avgpool', [x]);
  x = b.node('Flatten', 'flatten', [x], { axis: 1 });
  return b.finish([b.linear(x, 'fc', 1000)]);
}

export function resnet18(options: ZooOptions = {}): Graph {
  return resnet('resnet18', 'basic', [2, 2, 2, 2], options);
}

export function resnet50(options: ZooOptions = {}): Graph {
  return resnet('resnet50', 'bottleneck', [3, 4, 6, 3], options);
}
