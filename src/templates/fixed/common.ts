/**
 * What every fixed kernel shares: the `computes` key and entry name, the grid of a grid-stride
 * loop, the KernelModel of a memory-bound kernel, float literals, and strided index maps.
 *
 * A strided map sends a row-major index over an iteration shape to a buffer offset:
 * offset + sum over d of coord_d * strides[d]. Transpose, slice, split, concat and broadcasting
 * are all such maps; one iteration space decodes the index once for every map it carries. The
 * same data writes the CUDA expression (offsetC) and the JS mirror the tests run (offsetOf).
 */

import type { KernelArg, KernelModel, KernelSource } from '../../gpu/types.js';
import { SlicetuneError } from '../../util/errors.js';
import { hashOf, stableStringify } from '../../util/hash.js';
import { elementsOf } from '../../util/shape.js';

export const FIXED_THREADS = 256;
/** A grid-stride loop needs no more blocks than this to fill any current GPU many times. */
const MAX_BLOCKS = 16384;
/** Indices are C `int`: every buffer a fixed kernel touches must stay below 2^31 elements. */
const MAX_ELEMENTS = 2 ** 31 - 1;

export interface StridedMap {
  strides: number[];
  offset: number;
}

/** An iteration shape and the maps that share its index decoding. */
export interface IterationSpace {
  shape: number[];
  maps: StridedMap[];
}

export { elementsOf };

/**
 * Drops axes of extent 1 and merges neighbours every map walks contiguously (stride[d] =
 * stride[d+1] x shape[d+1]), so the kernel decodes as few coordinates as it can.
 */
export function coalesce(shape: readonly number[], maps: readonly StridedMap[]): IterationSpace {
  const keep = shape.map((d, i) => ({ d, i })).filter((x) => x.d !== 1);
  const outShape: number[] = [];
  const outStrides: number[][] = maps.map(() => []);
  for (const { d, i } of keep) {
    const last = outShape.length - 1;
    const mergeable =
      last >= 0 && maps.every((m, j) => (outStrides[j]?.[last] ?? 0) === (m.strides[i] ?? 0) * d);
    if (mergeable) {
      outShape[last] = (outShape[last] ?? 1) * d;
      maps.forEach((m, j) => {
        (outStrides[j] as number[])[last] = m.strides[i] ?? 0;
      });
    } else {
      outShape.push(d);
      maps.forEach((m, j) => {
        outStrides[j]?.push(m.strides[i] ?? 0);
      });
    }
  }
  return { shape: outShape, maps: maps.map((m, j) => ({ strides: outStrides[j] ?? [], offset: m.offset })) };
}

/** JS mirror of the kernel's index math: the offset map `m` gives for row-major index `idx`. */
export function offsetOf(space: IterationSpace, m: number, idx: number): number {
  const map = space.maps[m];
  if (!map) throw new SlicetuneError('INTERNAL', `iteration space has no map ${m}`);
  let q = idx;
  let offset = map.offset;
  for (let d = space.shape.length - 1; d >= 0; d--) {
    const extent = space.shape[d] ?? 1;
    const c = d === 0 ? q : q % extent;
    q = d === 0 ? 0 : Math.floor(q / extent);
    offset += c * (map.strides[d] ?? 0);
  }
  return offset;
}

/** C statements that decode `idx` into the coordinates c0..c{rank-1} of the space. */
export function decodeC(space: IterationSpace, idx: string): string {
  const rank = space.shape.length;
  if (rank <= 1) return rank === 1 ? `const int c0 = ${idx};` : '';
  const lines = [`int q_ = ${idx};`];
  for (let d = rank - 1; d >= 1; d--) {
    const extent = space.shape[d];
    lines.push(`const int c${d} = q_ % ${extent}; q_ /= ${extent};`);
  }
  lines.push('const int c0 = q_;');
  return lines.join(' ');
}

/** The C expression of map `m`'s offset, from the coordinates decodeC declared. */
export function offsetC(space: IterationSpace, m: number): string {
  const map = space.maps[m];
  if (!map) throw new SlicetuneError('INTERNAL', `iteration space has no map ${m}`);
  const terms = map.strides.flatMap((s, d) => (s === 0 ? [] : [s === 1 ? `c${d}` : `c${d} * ${s}`]));
  if (map.offset !== 0 || terms.length === 0) terms.unshift(String(map.offset));
  return terms.join(' + ');
}

/** A float literal CUDA reads back exactly (infinities through their bit patterns). */
export function floatC(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return '__int_as_float(0x7f800000)';
  if (x === Number.NEGATIVE_INFINITY) return '__int_as_float((int)0xff800000u)';
  if (!Number.isFinite(x))
    throw new SlicetuneError('BAD_OPTION', `fixed kernels: ${x} is not a usable constant`);
  const f = Math.fround(x);
  const text = f.toPrecision(9);
  return `${text.includes('.') || text.includes('e') ? text : `${text}.0`}f`;
}

/** `fixed.<op>:<params>`: what the kernel computes, stable across runs. */
export function computesKey(op: string, params: unknown): string {
  return `fixed.${op}:${stableStringify(params)}`;
}

/** Blocks of a grid-stride loop over `total` items. */
export function gridStrideBlocks(total: number, threads = FIXED_THREADS): number {
  return Math.max(1, Math.min(MAX_BLOCKS, Math.ceil(total / threads)));
}

export function bufferArg(name: string, elements: number, role: 'input' | 'output'): KernelArg {
  if (!Number.isInteger(elements) || elements < 1 || elements > MAX_ELEMENTS) {
    throw new SlicetuneError(
      'BAD_SHAPE',
      `fixed kernels: buffer '${name}' of ${elements} elements (must be 1..${MAX_ELEMENTS})`,
    );
  }
  return { kind: 'buffer', name, dtype: 'f32', elements, role };
}

/** `extern "C" __global__` signature: inputs `const float* __restrict__`, outputs `float*`. */
export function signatureC(entry: string, args: readonly KernelArg[], threads: number): string {
  const params = args.map((a) =>
    a.kind === 'scalar'
      ? `${a.ctype} p_${a.name}`
      : `${a.role === 'input' ? 'const float* __restrict__' : 'float* __restrict__'} p_${a.name}`,
  );
  return `extern "C" __global__ void __launch_bounds__(${threads}) ${entry}(${params.join(', ')})`;
}

/** What a memory-bound kernel moves and computes, for the simulator and the cost features. */
export function streamingModel(bytes: number, flops: number, trafficBytes = bytes): KernelModel {
  return {
    flops,
    dramBytes: bytes,
    trafficBytes: Math.max(bytes, trafficBytes),
    regsPerThread: 32,
    sharedBytesPerBlock: 0,
    computeEfficiency: 0.25,
  };
}

export interface FixedParts {
  op: string;
  params: unknown;
  args: KernelArg[];
  /** The kernel body (inside the function's braces). */
  body: string;
  grid: number;
  threads?: number;
  model: KernelModel;
}

/** Assembles a KernelSource: the entry name is a hash of what it computes, so equal kernels share binaries. */
export function fixedKernel(parts: FixedParts): KernelSource {
  const threads = parts.threads ?? FIXED_THREADS;
  const computes = computesKey(parts.op, parts.params);
  const entry = `fixed_${parts.op}_${hashOf(computes)}`;
  const code = `// slicetune fixed kernel: ${computes}
${signatureC(entry, parts.args, threads)} {
${parts.body}
}
`;
  return {
    entry,
    code,
    grid: [parts.grid, 1, 1],
    block: [threads, 1, 1],
    dynamicSharedBytes: 0,
    args: parts.args,
    computes,
    model: parts.model,
  };
}

/** The loop head every elementwise kernel uses: each thread strides over [0, total). */
export function gridStrideLoop(total: number, body: string): string {
  return `  for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < ${total}; idx += gridDim.x * blockDim.x) {
    ${body}
  }`;
}
