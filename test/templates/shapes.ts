/** The grid of shapes every template is tested on: odd cases first, then ResNet-18 layers. */
import {
  batchMatmulWorkload,
  conv2dWorkload,
  denseWorkload,
  RESNET18_WORKLOADS,
  type Workload,
} from '../../src/ops/index.js';

type ConvInput = Parameters<typeof conv2dWorkload>[0];
const conv = (o: ConvInput, e: Parameters<typeof conv2dWorkload>[1] = {}) => conv2dWorkload(o, e);

export const ODD_SHAPES: { name: string; w: Workload }[] = [
  {
    name: '7x7 image',
    w: conv(
      { n: 1, c: 32, h: 7, w: 7, k: 48, r: 3, s: 3, padH: 1, padW: 1 },
      { bias: true, activation: 'relu' },
    ),
  },
  {
    name: 'c=3 input, 7x7 kernel, stride 2',
    w: conv(
      { n: 1, c: 3, h: 32, w: 32, k: 16, r: 7, s: 7, strideH: 2, strideW: 2, padH: 3, padW: 3 },
      { bnScaleShift: true, activation: 'relu6' },
    ),
  },
  {
    name: 'stride 2, batch 2',
    w: conv(
      { n: 2, c: 16, h: 15, w: 15, k: 24, r: 3, s: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 },
      { residual: true },
    ),
  },
  { name: '1x1', w: conv({ n: 1, c: 64, h: 14, w: 14, k: 128, r: 1, s: 1 }, { bias: true }) },
  {
    name: '1x1 stride 2',
    w: conv({ n: 1, c: 64, h: 14, w: 14, k: 128, r: 1, s: 1, strideH: 2, strideW: 2 }),
  },
  {
    name: 'dilation 2',
    w: conv(
      { n: 1, c: 16, h: 20, w: 20, k: 16, r: 3, s: 3, padH: 2, padW: 2, dilationH: 2, dilationW: 2 },
      { bias: true, residual: true, activation: 'relu' },
    ),
  },
  {
    name: 'no multiple of any tile',
    w: conv(
      { n: 3, c: 13, h: 11, w: 9, k: 19, r: 3, s: 2, strideH: 1, strideW: 2, padH: 1, padW: 0 },
      { bnScaleShift: true, bias: true },
    ),
  },
  {
    name: 'groups 2',
    w: conv(
      { n: 1, c: 16, h: 12, w: 12, k: 32, r: 3, s: 3, padH: 1, padW: 1, groups: 2 },
      { bias: true, activation: 'relu' },
    ),
  },
  {
    name: 'groups 32',
    w: conv({ n: 1, c: 64, h: 8, w: 8, k: 64, r: 3, s: 3, padH: 1, padW: 1, groups: 32 }),
  },
  {
    name: 'depthwise',
    w: conv(
      { n: 2, c: 32, h: 14, w: 14, k: 32, r: 3, s: 3, padH: 1, padW: 1, groups: 32 },
      { bias: true, activation: 'relu6' },
    ),
  },
  {
    name: 'depthwise 5x5 stride 2',
    w: conv(
      { n: 1, c: 24, h: 17, w: 17, k: 24, r: 5, s: 5, strideH: 2, strideW: 2, padH: 2, padW: 2, groups: 24 },
      { residual: true },
    ),
  },
  { name: '1x1 image', w: conv({ n: 1, c: 8, h: 1, w: 1, k: 10, r: 1, s: 1 }) },
  { name: 'dense gemv m=1 n=1000 k=512', w: denseWorkload({ m: 1, n: 1000, k: 512 }, { bias: true }) },
  { name: 'dense odd', w: denseWorkload({ m: 7, n: 33, k: 50 }, { bnScaleShift: true, activation: 'relu' }) },
  {
    name: 'dense 64x96x128',
    w: denseWorkload({ m: 64, n: 96, k: 128 }, { bias: true, residual: true, activation: 'relu' }),
  },
  { name: 'dense n=1', w: denseWorkload({ m: 3, n: 1, k: 5 }) },
  {
    name: 'bmm 12x128x128x64 transB',
    w: batchMatmulWorkload({ b: 12, m: 128, n: 128, k: 64, transB: true }),
  },
  { name: 'bmm odd', w: batchMatmulWorkload({ b: 3, m: 17, n: 23, k: 9, transB: false }, { bias: true }) },
  {
    name: 'bmm 2x64x64x32',
    w: batchMatmulWorkload({ b: 2, m: 64, n: 64, k: 32 }, { residual: true, activation: 'relu' }),
  },
];

export const RESNET_SHAPES = RESNET18_WORKLOADS.map((m) => ({ name: m.name, w: m.workload }));

export const ALL_SHAPES = [...ODD_SHAPES, ...RESNET_SHAPES];

/** Whether the code's brackets balance (outside comments and string literals). */
export function bracketsBalance(code: string): boolean {
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  const stack: string[] = [];
  const stripped = code.replace(/\/\/[^\n]*/g, '').replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
  for (const ch of stripped) {
    if (ch === '(' || ch === '{' || ch === '[') stack.push(ch);
    else if (ch in pairs) {
      if (stack.pop() !== pairs[ch]) return false;
    }
  }
  return stack.length === 0;
}

export function definesEntry(code: string, entry: string): boolean {
  return new RegExp(`extern "C" __global__ void __launch_bounds__\\(\\d+, 1\\) ${entry}\\(`).test(code);
}
