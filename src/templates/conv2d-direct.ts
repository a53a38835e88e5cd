/**
 * conv2d_direct: AutoTVM's direct NCHW convolution schedule as a template (plan in
 * conv2d-direct-plan.ts, code in conv2d-direct-kernel.ts). Handles any batch, stride, padding,
 * dilation and groups (a block's output channels stay inside one group); every global access is
 * guarded, so tiles need not divide anything (the splits divide exactly anyway).
 */
import type { DeviceInfo, KernelModel, KernelSource } from '../gpu/types.js';
import type { Workload } from '../ops/index.js';
import { conv2dOutput, epilogueOpsPerElement, kernelArgs, workloadBytes, workloadKey } from '../ops/index.js';
import type { Config, ConfigSpace, Knob } from '../space/index.js';
import { defineSpace } from '../space/index.js';
import { SlicetuneError } from '../util/errors.js';
import { directKernelCode } from './conv2d-direct-kernel.js';
import { convShape, type DirectPlan, directPlan, directProblem } from './conv2d-direct-plan.js';
import { bindArgs, checkGrid, divisorUpTo, entryName } from './cuda.js';
import { epilogueBytes } from './epilogue.js';
import { modelRegs } from './limits.js';
import { computeEfficiency, loopOverhead, wavefronts } from './model.js';
import type { Template } from './types.js';

const NAME = 'conv2d_direct';
/** [block, vthread, thread, inner]: vthreads and register tiles beyond these only spill. */
const OUTPUT_SPLIT_BOUNDS = [null, 8, null, 16] as const;

function knobs(w: Workload): Knob[] {
  const p = directPlanShape(w);
  return [
    { kind: 'split', name: 'tile_k', extent: p.kpg, parts: 4, maxFactors: OUTPUT_SPLIT_BOUNDS },
    { kind: 'split', name: 'tile_y', extent: p.oh, parts: 4, maxFactors: OUTPUT_SPLIT_BOUNDS },
    { kind: 'split', name: 'tile_x', extent: p.ow, parts: 4, maxFactors: OUTPUT_SPLIT_BOUNDS },
    { kind: 'split', name: 'tile_rc', extent: p.cpg, parts: 2 },
    { kind: 'split', name: 'tile_ry', extent: p.s.r, parts: 2 },
    { kind: 'split', name: 'tile_rx', extent: p.s.s, parts: 2 },
    { kind: 'choice', name: 'split_rc', options: [1, 2, 4, 8] },
    { kind: 'choice', name: 'auto_unroll_max_step', options: [0, 16, 64, 512] },
    { kind: 'bool', name: 'unroll_explicit' },
  ];
}

function directPlanShape(w: Workload) {
  const s = convShape(w);
  const { oh, ow } = conv2dOutput(s);
  return { s, oh, ow, cpg: s.c / s.groups, kpg: s.k / s.groups };
}

function firstWarpLanes(threads: number): number[] {
  return Array.from({ length: Math.min(32, threads) }, (_, l) => l);
}

function directModel(w: Workload, p: DirectPlan, device: DeviceInfo): KernelModel {
  const s = p.s;
  const lanes = firstWarpLanes(p.threads);
  const tx = (l: number) => l % p.x.t;
  const ty = (l: number) => Math.floor(l / p.x.t) % p.y.t;
  const tk = (l: number) => Math.floor(l / (p.x.t * p.y.t));
  const inWave = wavefronts(
    lanes.map((l) => ty(l) * p.y.i * s.strideH * p.inPitch + tx(l) * p.x.i * s.strideW),
  );
  const wWave = wavefronts(
    lanes.map((l) => tk(l) * p.k.i),
    p.wVec,
  );
  const kt = p.k.perThread;
  const pixels = p.y.perThread * p.x.perThread;
  const innerSteps = p.rci * p.ryi * p.rxi;
  const loadRounds = p.inTrips + p.wTrips;
  const eff = computeEfficiency(
    {
      fma: kt * pixels,
      sharedLoads: kt / p.wVec + pixels,
      sharedWavefronts: (wWave * kt) / p.wVec + inWave * pixels,
      otherInstr: loopOverhead(p.unrolledSteps, 3),
    },
    {
      innerSteps,
      loadInstr: loadRounds * (p.unrollExplicit ? 12 : 15),
      barriers: 2,
      doubleBuffered: false,
    },
  );
  const blocks = p.grid[0] * p.grid[2];
  const stages = p.rcoPerSplit * p.ryo * p.rxo;
  const outputs = s.n * s.k * p.oh * p.ow;
  const macs = p.grid[0] * p.k.perBlock * p.y.perBlock * p.x.perBlock * p.cpg * s.r * s.s;
  const perStage = 4 * (p.rci * p.inRows * p.inCols + p.rci * p.ryi * p.rxi * p.k.perBlock);
  const split = p.splitRc > 1 ? 8 * outputs * p.splitRc : 0;
  const epBytes = epilogueBytes(w, outputs, s.k);
  const dram = workloadBytes(w);
  return {
    flops: 2 * macs + outputs * epilogueOpsPerElement(w.epilogue),
    dramBytes: dram,
    trafficBytes: Math.max(dram, blocks * stages * perStage + 4 * outputs + epBytes + split),
    regsPerThread: modelRegs(p.regs, p.threads, device),
    sharedBytesPerBlock: p.sharedBytes,
    computeEfficiency: eff,
  };
}

function features(w: Workload, c: Config, device: DeviceInfo): Record<string, number> {
  const names = ['threads', 'regs', 'shared_kb', 'blocks', 'outputs_per_thread', 'efficiency', 'traffic_mb'];
  try {
    const p = directPlan(w, c);
    const m = directModel(w, p, device);
    const v = [
      p.threads,
      m.regsPerThread,
      p.sharedBytes / 1024,
      p.grid[0] * p.grid[2],
      p.k.perThread * p.y.perThread * p.x.perThread,
      m.computeEfficiency,
      m.trafficBytes / 2 ** 20,
    ];
    return Object.fromEntries(names.map((n, i) => [n, Number.isFinite(v[i]) ? (v[i] as number) : 0]));
  } catch {
    return Object.fromEntries(names.map((n) => [n, 0]));
  }
}

function space(w: Workload, device: DeviceInfo): ConfigSpace {
  if (w.op !== 'conv2d')
    throw new SlicetuneError('UNSUPPORTED_OP', `${NAME} does not apply to ${workloadKey(w)}`);
  return defineSpace({
    name: `${NAME} ${workloadKey(w)}`,
    knobs: knobs(w),
    constraints: [(c) => directProblem(w, c, device)],
    features: (c) => features(w, c, device),
  });
}

/** Largest divisor of n that is at most `limit`. */

/** [block, vthread, thread, inner] with the given thread and inner factors (both divide). */
function split4(extent: number, t: number, i: number): number[] {
  return [extent / (t * i), 1, t, i];
}

/**
 * Defaults: about 128-256 threads (columns fastest for coalescing, then rows, then channels), a
 * 2x2x4 register tile where the extents allow, the whole kernel window per stage and 8 channels,
 * split_rc when the output alone fills less than half the GPU. Fallbacks shrink the tile.
 */
function defaultCandidates(w: Workload, device: DeviceInfo): Config[] {
  const p = directPlanShape(w);
  const out: Config[] = [];
  for (const [iy, ix, ik, threadTarget, rci] of [
    [2, 2, 4, 256, 8],
    [1, 2, 4, 128, 4],
    [1, 1, 2, 128, 2],
    [1, 1, 1, 64, 1],
    [1, 1, 1, 32, 1],
  ] as const) {
    const tx = divisorUpTo(p.ow, 16);
    const ty = divisorUpTo(p.oh, Math.max(1, 64 / tx));
    const ixv = divisorUpTo(p.ow / tx, ix);
    const iyv = divisorUpTo(p.oh / ty, iy);
    const tk = divisorUpTo(p.kpg, Math.max(1, threadTarget / (tx * ty)));
    const ikv = divisorUpTo(p.kpg / tk, ik);
    const rc = divisorUpTo(p.cpg, rci);
    const blocks = p.s.n * p.s.groups * (p.kpg / (tk * ikv)) * (p.oh / (ty * iyv)) * (p.ow / (tx * ixv));
    const rco = p.cpg / rc;
    let split = 1;
    while (split < 8 && split * 2 <= rco && blocks * split < device.sms / 2) split *= 2;
    const base = {
      tile_k: split4(p.kpg, tk, ikv),
      tile_y: split4(p.oh, ty, iyv),
      tile_x: split4(p.ow, tx, ixv),
      tile_rc: [rco, rc],
      tile_ry: [1, p.s.r],
      tile_rx: [1, p.s.s],
      split_rc: split,
      auto_unroll_max_step: 512,
    };
    out.push({ ...base, unroll_explicit: true }, { ...base, unroll_explicit: false });
    out.push({ ...base, tile_ry: [p.s.r, 1], tile_rx: [p.s.s, 1], unroll_explicit: false });
  }
  return out;
}

export const conv2dDirectTemplate: Template = {
  name: NAME,
  op: 'conv2d',
  description: 'AutoTVM-style direct conv (NCHW): [block,vthread,thread,inner] tiles, shared-memory staging',
  tensorCore: false,
  applies: (w) => w.op === 'conv2d',
  space,
  defaultConfig(w, device) {
    const s = space(w, device);
    for (const c of defaultCandidates(w, device)) if (s.isValid(c)) return c;
    // Any valid point beats none: the first one in enumeration order.
    for (const c of s.enumerate()) return c;
    throw new SlicetuneError('INTERNAL', `${NAME}: no valid config for ${workloadKey(w)}`);
  },
  generate(w, config, device): KernelSource {
    const reason = space(w, device).invalidReason(config);
    if (reason !== null)
      throw new SlicetuneError('BAD_OPTION', `${NAME}: invalid config for ${workloadKey(w)}: ${reason}`);
    const p = directPlan(w, config);
    const names = bindArgs(w);
    const entry = entryName(NAME, w, config);
    checkGrid(NAME, p.grid);
    return {
      entry,
      code: directKernelCode(w, p, names, entry, `${NAME} for ${workloadKey(w)}`),
      grid: p.grid,
      block: [p.threads, 1, 1],
      dynamicSharedBytes: p.sharedBytes,
      args: kernelArgs(w),
      computes: workloadKey(w),
      model: directModel(w, p, device),
    };
  },
};
