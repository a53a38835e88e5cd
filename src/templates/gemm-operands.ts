/**
 * Operand loaders of the tiled GEMM core: global memory -> registers -> shared memory, for one
 * K-stage of a BM x BK (or BN x BK) tile. Shared tiles are k-major (`s[kk * pitch + row]`) so the
 * compute loop reads each thread's rows as 128-bit vectors. Every global read is guarded (rows
 * past the extent and k past K read 0), so any tile size is correct on any shape.
 *
 * - `rowK`:  element (row, k) at base[row * ld + k] (K contiguous: dense x and W, conv weights,
 *            batch_matmul A and transposed B); float4 along k when ld and BK are multiples of 4.
 * - `kRow`:  element (row, k) at base[k * ld + row] (rows contiguous: batch_matmul B); float4
 *            along rows when the row extent is a multiple of 4.
 * - `im2col`: conv2d data gathered as A[m = image pixel][k = (c, r, s)]; float4 along m only for
 *            pointwise convs (1x1, stride 1, no padding) whose images hold a multiple of 4 pixels.
 */
import type { Conv2dShape } from '../ops/index.js';
import { conv2dOutput } from '../ops/index.js';
import { ceilDiv } from './cuda.js';

export type OperandKind = 'rowK' | 'kRow' | 'im2col';

export interface Operand {
  kind: OperandKind;
  /** C expression of this block's base pointer (defined in the kernel's prologue). */
  base: string;
  /** Leading dimension: elements between rows (rowK) or between k (kRow). Unused by im2col. */
  ld: number;
  vec: 1 | 4;
  /** The convolution, for im2col: per-group channels c/groups, H, W, R, S, strides, padding. */
  conv?: Conv2dShape;
}

export interface TileGeometry {
  /** Rows of the tile (BM or BN) and of the whole operand (M or N). */
  rowsTile: number;
  rows: number;
  bk: number;
  k: number;
  threads: number;
  /** Shared-memory pitch between k rows of the tile (floats). */
  pitch: number;
  /** C expression of the tile's first row (m0 or n0). */
  row0: string;
  /** Store a rowK tile as [row][k] (pitch between rows) instead of transposing it to k-major. */
  rowMajor?: boolean;
  /** Device function applied to each value as it is stored (e.g. rounding to TF32). */
  convert?: string;
}

export interface OperandCode {
  /** Register declarations and per-thread precomputation (once per kernel). */
  setup: string;
  /** Global -> registers for the stage starting at `k0` (a C int in scope). */
  load: string;
  /** Registers -> shared memory at the float pointer expression given. */
  store: (dst: string) => string;
  stats: OperandStats;
  /** Module-scope declarations (constant tables) the loader needs. */
  globals: string;
}

/** Shared-memory padding (floats) so transposing stores spread over banks; keeps 16 B alignment. */
export function operandPad(kind: OperandKind): number {
  return kind === 'rowK' ? 4 : 0;
}

export interface OperandStats {
  /** Vectors of the tile, vector loads per thread per stage, and whether the last round is partial. */
  total: number;
  loads: number;
  partial: boolean;
  /** Vectors along the fast (contiguous) index of the tile. */
  perK: number;
  /** Precomputed im2col pixel slots per thread. */
  slots: number;
  instrPerStage: number;
  regs: number;
}

/** Sizes of a loader, pure arithmetic (validity checks call this for every config they see). */
export function operandStats(op: Operand, g: TileGeometry): OperandStats {
  const v = op.vec;
  const alongRows = op.kind !== 'rowK';
  const perK = Math.max(1, alongRows ? g.rowsTile / v : g.bk / v);
  const total = Math.max(1, (g.rowsTile * g.bk) / v);
  const loads = ceilDiv(total, g.threads);
  const slots =
    op.kind !== 'im2col' || g.threads % perK === 0 ? 1 : Math.max(1, Math.min(loads, perK / g.threads));
  const indexInstr = op.kind === 'im2col' ? (v === 4 ? 5 : 14) : 4;
  const stores = alongRows || g.rowMajor || v === 1 ? 1 : 4;
  return {
    total,
    loads,
    partial: total % g.threads !== 0,
    perK,
    slots,
    instrPerStage: loads * (1 + stores + indexInstr),
    regs: loads * v + (op.kind === 'im2col' ? 3 * slots : 0),
  };
}

export function operandCode(name: string, op: Operand, g: TileGeometry): OperandCode {
  const v = op.vec;
  const alongRows = op.kind !== 'rowK';
  const st = operandStats(op, g);
  const { perK, total, loads, partial } = st;
  const reg = `r_${name}`;
  const vt = v === 4 ? 'float4' : 'float';
  const zero = v === 4 ? 'make_float4(0.0f, 0.0f, 0.0f, 0.0f)' : '0.0f';
  const ldg = (addr: string) =>
    v === 4 ? `__ldg(reinterpret_cast<const float4*>(&${addr}))` : `__ldg(&${addr})`;
  const eGuard = partial ? `e < ${total} && ` : '';
  const fast = `(e % ${perK})`;
  const slow = `(e / ${perK})`;
  let setup = `${vt} ${reg}[${loads}];`;
  let body: string;
  let globals = '';
  let stagePrologue = '';
  if (op.kind === 'rowK') {
    body = `const int gr = ${g.row0} + ${slow}; const int gk = k0 + ${fast} * ${v};
      ${reg}[i] = (${eGuard}gr < ${g.rows} && gk < ${g.k}) ? ${ldg(`${op.base}[gr * ${op.ld} + gk]`)} : ${zero};`;
  } else if (op.kind === 'kRow') {
    body = `const int gr = ${g.row0} + ${fast} * ${v}; const int gk = k0 + ${slow};
      ${reg}[i] = (${eGuard}gr < ${g.rows} && gk < ${g.k}) ? ${ldg(`${op.base}[gk * ${op.ld} + gr]`)} : ${zero};`;
  } else {
    const im = im2colCode(name, op, g, perK, st.slots);
    setup += `\n${im.setup}`;
    globals = im.globals;
    if (im.incremental) {
      stagePrologue = im.incremental.prologue;
      body = im.incremental.load(reg, eGuard, ldg, zero);
    } else {
      body = `const int gk = k0 + ${slow}; const int j = ${im.slotOf('i')};
      ${im.load(reg, eGuard, ldg, zero)}`;
    }
  }
  const load = `{ ${stagePrologue}
    #pragma unroll
    for (int i = 0; i < ${loads}; ++i) {
      const int e = threadIdx.x + i * ${g.threads};
      ${body}
    } }`;
  const cv = (x: string) => (g.convert ? `${g.convert}(${x})` : x);
  const value = `${reg}[i]`;
  const vector = g.convert
    ? `make_float4(${cv(`${value}.x`)}, ${cv(`${value}.y`)}, ${cv(`${value}.z`)}, ${cv(`${value}.w`)})`
    : value;
  const store = (dst: string) => {
    let s: string;
    if (alongRows || g.rowMajor) {
      s =
        v === 4
          ? `*reinterpret_cast<float4*>(&${dst}[${slow} * ${g.pitch} + ${fast} * 4]) = ${vector};`
          : `${dst}[${slow} * ${g.pitch} + ${fast}] = ${cv(value)};`;
    } else if (v === 4) {
      s = ['x', 'y', 'z', 'w']
        .map((c, q) => `${dst}[(${fast} * 4 + ${q}) * ${g.pitch} + ${slow}] = ${cv(`${value}.${c}`)};`)
        .join(' ');
    } else {
      s = `${dst}[${fast} * ${g.pitch} + ${slow}] = ${cv(value)};`;
    }
    return `#pragma unroll
    for (int i = 0; i < ${loads}; ++i) {
      const int e = threadIdx.x + i * ${g.threads};
      ${partial ? `if (e < ${total}) { ${s} }` : s}
    }`;
  };
  return { setup, load, store, stats: st, globals };
}

/**
 * im2col: each thread's rows (pixels) stay fixed across stages when threads and rows tile each
 * other (both powers of two), so the pixel -> (image, oy, ox) decoding is done once, into `slots`.
 */
function im2colCode(name: string, op: Operand, g: TileGeometry, perK: number, slots: number) {
  const s = op.conv as Conv2dShape;
  const { oh, ow } = conv2dOutput(s);
  const cpg = s.c / s.groups;
  const pixels = oh * ow;
  const image = s.c * s.h * s.w;
  const v = op.vec;
  const rowOfSlot = (j: string) =>
    slots === 1 ? `(threadIdx.x % ${perK})` : `(threadIdx.x + ${j} * ${g.threads})`;
  const off = `${name}_off`;
  const ih = `${name}_ih`;
  const iw = `${name}_iw`;
  const decode =
    v === 4
      ? `${off}[j] = img * ${image} + p; ${ih}[j] = 0;`
      : `const int oy = p / ${ow}; const int ox = p - oy * ${ow};
        ${off}[j] = img * ${image}; ${ih}[j] = oy * ${s.strideH} - ${s.padH}; ${iw}[j] = ox * ${s.strideW} - ${s.padW};`;
  const setup = `int ${off}[${slots}], ${ih}[${slots}], ${iw}[${slots}];
    (void)${iw};
    #pragma unroll
    for (int j = 0; j < ${slots}; ++j) {
      const int m = ${g.row0} + ${rowOfSlot('j')} * ${v};
      ${iw}[j] = 0;
      if (m < ${g.rows}) {
        const int img = m / ${pixels}; const int p = m - img * ${pixels};
        ${decode}
      } else { ${off}[j] = 0; ${ih}[j] = -(1 << 24); }
    }`;
  const slotOf = (i: string) => (slots === 1 ? '0' : `(${i} % ${slots})`);
  const rs = s.r * s.s;
  const kd = cpg * rs;
  // The taps' (row, column) offsets as a constant table: a warp's lanes share their k (pixels
  // vary fastest), so the lookup is a uniform constant-cache hit instead of two divisions.
  const tab = `${name}_tap`;
  const taps = Array.from(
    { length: rs },
    (_, t) => `{${Math.floor(t / s.s) * s.dilationH}, ${(t % s.s) * s.dilationW}}`,
  );
  const globals = v === 1 && slots === 1 ? `__constant__ int2 ${tab}[${rs}] = {${taps.join(', ')}};` : '';
  // With one slot, a thread's k advances by a constant step from load to load: (c, tap) is
  // decoded once per stage and stepped, with one wrap, instead of divided out per element.
  const step = g.threads / perK;
  const incremental =
    globals === ''
      ? undefined
      : {
          prologue: `const int kb = k0 + threadIdx.x / ${perK}; const int cb = kb / ${rs}; const int tb = kb - cb * ${rs};`,
          load: (reg: string, eGuard: string, ldg: (a: string) => string, zero: string) =>
            `(void)e; const int gk = kb + i * ${step};
      int t = tb + (i * ${step}) % ${rs}; int c = cb + (i * ${step}) / ${rs};
      if (t >= ${rs}) { t -= ${rs}; ++c; }
      const int2 d = ${tab}[t];
      const int y = ${ih}[0] + d.x; const int x = ${iw}[0] + d.y;
      ${reg}[i] = (${eGuard}gk < ${kd} && (unsigned)y < ${s.h}u && (unsigned)x < ${s.w}u) ? ${ldg(`${op.base}[${off}[0] + (c * ${s.h} + y) * ${s.w} + x]`)} : ${zero};`,
        };
  const load = (reg: string, eGuard: string, ldg: (a: string) => string, zero: string) => {
    if (v === 4) {
      return `${reg}[i] = (${eGuard}gk < ${kd} && ${ih}[j] >= 0) ? ${ldg(`${op.base}[${off}[j] + gk * ${pixels}]`)} : ${zero};`;
    }
    return `const int c = gk / ${rs}; const int t = gk - c * ${rs}; const int ry = t / ${s.s}; const int rx = t - ry * ${s.s};
      const int y = ${ih}[j] + ry * ${s.dilationH}; const int x = ${iw}[j] + rx * ${s.dilationW};
      ${reg}[i] = (${eGuard}gk < ${kd} && (unsigned)y < ${s.h}u && (unsigned)x < ${s.w}u) ? ${ldg(`${op.base}[${off}[j] + (c * ${s.h} + y) * ${s.w} + x]`)} : ${zero};`;
  };
  return { setup, slotOf, load, slots, globals, incremental };
}
