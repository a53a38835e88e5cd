/**
 * conv2d_igemm_tf32: the implicit-GEMM convolution of conv2d_igemm on TF32 tensor cores
 * (tf32-gemm.ts). Opt-in only (templatesFor(w, { tensorCore: true })), and marked tensorCore so
 * records keep its numerics apart: inputs are rounded to 10-bit mantissas before multiplying.
 */
import type { DeviceInfo, KernelSource } from '../gpu/types.js';
import type { Workload } from '../ops/index.js';
import { kernelArgs, workloadKey } from '../ops/index.js';
import type { Config, ConfigSpace, Knob } from '../space/index.js';
import { boolValue, choiceValue, defineSpace } from '../space/index.js';
import { SlicetuneError } from '../util/errors.js';
import { convGemmProblem, convGemmPrologue, convGemmShape, convGemmSite } from './conv2d-igemm.js';
import { bindArgs, checkGrid, entryName, nextPow2, powersOfTwoUpTo } from './cuda.js';
import type { GemmProblem } from './gemm-core.js';
import { launchProblem } from './limits.js';
import { SPLIT_K_MAX_OUTPUTS } from './splitk.js';
import { type Tf32Tiling, tf32KernelCode, tf32Model, tf32Plan } from './tf32-gemm.js';
import type { Template } from './types.js';

const NAME = 'conv2d_igemm_tf32';

function knobs(w: Workload): Knob[] {
  const g = convGemmShape(w);
  const upTo = (extent: number) => powersOfTwoUpTo(Math.max(32, Math.min(128, nextPow2(extent))), 32);
  return [
    { kind: 'choice', name: 'bm', options: upTo(g.M) },
    { kind: 'choice', name: 'bn', options: upTo(g.kpg) },
    { kind: 'choice', name: 'bk', options: [8, 16, 32] },
    { kind: 'choice', name: 'warps_m', options: [1, 2, 4] },
    { kind: 'choice', name: 'warps_n', options: [1, 2, 4] },
    { kind: 'choice', name: 'split_k', options: [1, 2, 4, 8, 16] },
    { kind: 'bool', name: 'double_buffer' },
  ];
}

function tiling(c: Config): Tf32Tiling {
  const n = (name: string) => choiceValue<number>(c, name);
  return {
    bm: n('bm'),
    bn: n('bn'),
    bk: n('bk'),
    warpsM: n('warps_m'),
    warpsN: n('warps_n'),
    splitK: n('split_k'),
    doubleBuffer: boolValue(c, 'double_buffer'),
  };
}

/** 128-bit loads wherever the shape allows them (no knob: they are always at least as good). */
function problemOf(w: Workload): GemmProblem {
  return convGemmProblem(w, true);
}

function problem(w: Workload, c: Config, device: DeviceInfo): string | null {
  const t = tiling(c);
  const p = problemOf(w);
  const plan = tf32Plan(p, t);
  if (plan.wtm % 16 !== 0 || plan.wtn % 8 !== 0) {
    return `warp tile ${plan.wtm}x${plan.wtn} is not a multiple of the 16x8 mma tile`;
  }
  if (t.splitK > 1) {
    if (p.outputs > SPLIT_K_MAX_OUTPUTS) return `split-K workspace of ${p.outputs} floats is too large`;
    if (t.splitK > Math.ceil(p.K / t.bk)) return `split-K ${t.splitK} exceeds the K stages`;
  }
  return launchProblem(
    { threads: plan.threads, sharedBytes: plan.sharedBytes, regsPerThread: plan.regs },
    device,
  );
}

function space(w: Workload, device: DeviceInfo): ConfigSpace {
  if (w.op !== 'conv2d')
    throw new SlicetuneError('UNSUPPORTED_OP', `${NAME} does not apply to ${workloadKey(w)}`);
  return defineSpace({
    name: `${NAME} ${workloadKey(w)}`,
    knobs: knobs(w),
    constraints: [(c) => problem(w, c, device)],
    features: (c) => {
      const plan = tf32Plan(problemOf(w), tiling(c));
      return {
        threads: plan.threads,
        regs: plan.regs,
        shared_kb: plan.sharedBytes / 1024,
        blocks: plan.grid[0] * plan.grid[2],
      };
    },
  });
}

export const conv2dIgemmTf32Template: Template = {
  name: NAME,
  op: 'conv2d',
  description: 'implicit GEMM on TF32 tensor cores (mma.sync m16n8k8), fp32 accumulation; opt-in',
  tensorCore: true,
  applies: (w) => w.op === 'conv2d' && w.dtype === 'f32',
  space,
  defaultConfig(w, device) {
    const s = space(w, device);
    const g = convGemmShape(w);
    const shapes = [
      [64, 64, 2, 2],
      [32, 64, 1, 2],
      [64, 32, 2, 1],
      [32, 32, 1, 1],
    ] as const;
    const tilesOf = (bm: number, bn: number) => Math.ceil(g.M / bm) * Math.ceil(g.kpg / bn) * g.s.groups;
    // Like conv2d_igemm: the largest tile that fills the GPU alone, else split-K on 64x64.
    const full = shapes.filter(([bm, bn]) => tilesOf(bm, bn) >= device.sms).map((sh) => [...sh, 1] as const);
    const split = shapes.map(([bm, bn, wm, wn]) => {
      let k = 1;
      while (k < 16 && tilesOf(bm, bn) * k < device.sms && k * 2 <= Math.ceil(g.kd / 16)) k *= 2;
      return [bm, bn, wm, wn, k] as const;
    });
    for (const [bm, bn, wm, wn, k] of [...full, ...split]) {
      const c = { bm, bn, bk: 16, warps_m: wm, warps_n: wn, split_k: k, double_buffer: true };
      if (s.isValid(c)) return c;
    }
    for (const c of s.enumerate()) return c;
    throw new SlicetuneError('INTERNAL', `${NAME}: no valid config for ${workloadKey(w)}`);
  },
  generate(w, config, device): KernelSource {
    const reason = space(w, device).invalidReason(config);
    if (reason !== null)
      throw new SlicetuneError('BAD_OPTION', `${NAME}: invalid config for ${workloadKey(w)}: ${reason}`);
    const p = problemOf(w);
    const plan = tf32Plan(p, tiling(config));
    const names = bindArgs(w);
    const entry = entryName(NAME, w, config);
    checkGrid(NAME, plan.grid);
    const code = tf32KernelCode(p, plan, {
      w,
      names,
      entry,
      prologue: convGemmPrologue(w, names.lhs, names.rhs),
      site: (m, n) => convGemmSite(w, m, n),
      comment: `${NAME} for ${workloadKey(w)}`,
    });
    return {
      entry,
      code,
      grid: plan.grid,
      block: [plan.threads, 1, 1],
      dynamicSharedBytes: plan.sharedBytes,
      args: kernelArgs(w),
      computes: workloadKey(w),
      model: tf32Model(p, plan, device),
    };
  },
};
