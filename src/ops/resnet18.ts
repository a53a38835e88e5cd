/**
 * The unique conv2d and dense workloads of ResNet-18 (torchvision) at batch 1, 224x224.
 * Batch-norm folds into the convolution, so conv+bn+relu becomes conv with bias+relu; the second
 * conv of each basic block adds the shortcut before its ReLU (bias+residual+relu); the 1x1
 * stride-2 downsample convs carry only the folded bias. `count` is how often each occurs.
 */
import { conv2dWorkload } from './conv2d.js';
import { denseWorkload } from './dense.js';
import type { Epilogue, Workload } from './types.js';

export interface ModelWorkload {
  name: string;
  workload: Workload;
  /** Occurrences in one forward pass (a task's weight). */
  count: number;
}

const BIAS_RELU: Partial<Epilogue> = { bias: true, activation: 'relu' };
const BIAS_RESIDUAL_RELU: Partial<Epilogue> = { bias: true, residual: true, activation: 'relu' };
const BIAS: Partial<Epilogue> = { bias: true };

function conv3x3(c: number, hw: number, k: number, stride: number, epilogue: Partial<Epilogue>): Workload {
  return conv2dWorkload(
    { n: 1, c, h: hw, w: hw, k, r: 3, s: 3, strideH: stride, strideW: stride, padH: 1, padW: 1 },
    epilogue,
  );
}

/** Stages 2-4 halve the image and double the channels; their first block downsamples. */
function downsamplingStage(stage: number, c: number, hw: number): ModelWorkload[] {
  const k = 2 * c;
  const out = hw / 2;
  const name = `layer${stage}`;
  return [
    { name: `${name}.0.conv1`, workload: conv3x3(c, hw, k, 2, BIAS_RELU), count: 1 },
    { name: `${name}.1.conv1`, workload: conv3x3(k, out, k, 1, BIAS_RELU), count: 1 },
    { name: `${name}.x.conv2`, workload: conv3x3(k, out, k, 1, BIAS_RESIDUAL_RELU), count: 2 },
    {
      name: `${name}.0.downsample`,
      workload: conv2dWorkload({ n: 1, c, h: hw, w: hw, k, r: 1, s: 1, strideH: 2, strideW: 2 }, BIAS),
      count: 1,
    },
  ];
}

export const RESNET18_WORKLOADS: ModelWorkload[] = [
  {
    name: 'conv1',
    workload: conv2dWorkload(
      { n: 1, c: 3, h: 224, w: 224, k: 64, r: 7, s: 7, strideH: 2, strideW: 2, padH: 3, padW: 3 },
      BIAS_RELU,
    ),
    count: 1,
  },
  { name: 'layer1.x.conv1', workload: conv3x3(64, 56, 64, 1, BIAS_RELU), count: 2 },
  { name: 'layer1.x.conv2', workload: conv3x3(64, 56, 64, 1, BIAS_RESIDUAL_RELU), count: 2 },
  ...downsamplingStage(2, 64, 56),
  ...downsamplingStage(3, 128, 28),
  ...downsamplingStage(4, 256, 14),
  { name: 'fc', workload: denseWorkload({ m: 1, n: 1000, k: 512 }, BIAS), count: 1 },
];
