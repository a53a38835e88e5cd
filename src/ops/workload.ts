/** Stable keys and small questions about a workload. */
import { epilogueSuffix } from './epilogue.js';
import type { Workload } from './types.js';

/**
 * Stable, readable key: op, dtype, every shape field, then the epilogue, e.g.
 * `conv2d.f32.n1.c64.h56.w56.k64.r3.s3.st1x1.pd1x1.dl1x1.g1+bias+relu`. It is part of every
 * record key, so changing this format invalidates stored records.
 */
export function workloadKey(w: Workload): string {
  return `${w.op}.${w.dtype}.${shapeKey(w)}${epilogueSuffix(w.epilogue)}`;
}

function shapeKey(w: Workload): string {
  switch (w.op) {
    case 'conv2d': {
      const s = w.shape;
      return (
        `n${s.n}.c${s.c}.h${s.h}.w${s.w}.k${s.k}.r${s.r}.s${s.s}` +
        `.st${s.strideH}x${s.strideW}.pd${s.padH}x${s.padW}.dl${s.dilationH}x${s.dilationW}.g${s.groups}`
      );
    }
    case 'dense':
      return `m${w.shape.m}.n${w.shape.n}.k${w.shape.k}`;
    case 'batch_matmul': {
      const s = w.shape;
      return `b${s.b}.m${s.m}.n${s.n}.k${s.k}.tb${s.transB ? 1 : 0}`;
    }
  }
}

/** Depthwise conv2d: one input and one output channel per group (groups = c = k). */
export function isDepthwise(w: Workload): boolean {
  return (
    w.op === 'conv2d' && w.shape.groups > 1 && w.shape.groups === w.shape.c && w.shape.groups === w.shape.k
  );
}

/** Length of the reduction behind one output element (conv: C/groups*R*S, matmuls: K). */
export function reductionLength(w: Workload): number {
  switch (w.op) {
    case 'conv2d':
      return (w.shape.c / w.shape.groups) * w.shape.r * w.shape.s;
    case 'dense':
    case 'batch_matmul':
      return w.shape.k;
  }
}
