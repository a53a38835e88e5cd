/**
 * depthwise_conv2d (groups = c = k): one channel per thread row, a spatial tile per block. The
 * block stages each of its channels' input tile with its halo, and the channels' R x S weights,
 * in shared memory; each thread computes an inner tile of outputs of one channel from there.
 * Memory-bound by nature (R*S multiply-adds per input element), so the knobs mostly trade halo
 * overhead (bigger tiles) against blocks in flight (smaller tiles).
 */
import type { DeviceInfo, KernelModel, KernelSource } from '../gpu/types.js';
import type { Workload } from '../ops/index.js';
import { epilogueOpsPerElement, isDepthwise, kernelArgs, workloadBytes, workloadKey } from '../ops/index.js';
import type { Config, ConfigSpace } from '../space/index.js';
import { defineSpace } from '../space/index.js';
import { SlicetuneError } from '../util/errors.js';
import { checkGrid, divisorUpTo, entryName } from './cuda.js';
import { depthwiseKernelCode } from './depthwise-kernel.js';
import { type DepthwisePlan, depthwiseGeometry, depthwisePlan } from './depthwise-plan.js';
import { epilogueBytes } from './epilogue.js';
import { launchProblem, MIN_THREADS, modelRegs } from './limits.js';
import { computeEfficiency } from './model.js';
import type { Template } from './types.js';

const NAME = 'depthwise_conv2d';

function problem(w: Workload, c: Config, device: DeviceInfo): string | null {
  const p = depthwisePlan(w, c);
  if (p.explicit && p.inTrips > 64) return `${p.inTrips} load rounds are too many to unroll explicitly`;
  const minThreads = Math.min(MIN_THREADS, p.s.c * p.oh * p.ow);
  if (p.threads < minThreads) return `${p.threads} threads per block, fewer than ${minThreads}`;
  const threads = Math.max(p.threads, MIN_THREADS);
  return launchProblem({ threads, sharedBytes: p.sharedBytes, regsPerThread: p.regs }, device);
}

function model(w: Workload, p: DepthwisePlan, device: DeviceInfo): KernelModel {
  const s = p.s;
  const outputs = s.n * s.c * p.oh * p.ow;
  const blocks = p.grid[0];
  const taps = s.r * s.s;
  const eff = computeEfficiency(
    {
      fma: p.iy * p.ix,
      sharedLoads: 1 + p.iy * p.ix,
      sharedWavefronts: 1 + p.iy * p.ix,
      otherInstr: p.unrollTaps ? 0 : 2,
    },
    { innerSteps: taps, loadInstr: (p.inTrips + 1) * 14, barriers: 1, doubleBuffered: false },
  );
  const dram = workloadBytes(w);
  const traffic =
    4 * blocks * (p.tc * p.inRows * p.inCols + p.wFloats) + 4 * outputs + epilogueBytes(w, outputs, s.k);
  return {
    flops: 2 * blocks * p.tc * p.ty * p.iy * p.tx * p.ix * taps + outputs * epilogueOpsPerElement(w.epilogue),
    dramBytes: dram,
    trafficBytes: Math.max(dram, traffic),
    regsPerThread: modelRegs(p.regs, p.threads, device),
    sharedBytesPerBlock: p.sharedBytes,
    computeEfficiency: eff,
  };
}

function space(w: Workload, device: DeviceInfo): ConfigSpace {
  if (!isDepthwise(w))
    throw new SlicetuneError('UNSUPPORTED_OP', `${NAME} does not apply to ${workloadKey(w)}`);
  const { s, oh, ow } = depthwiseGeometry(w);
  return defineSpace({
    name: `${NAME} ${workloadKey(w)}`,
    knobs: [
      { kind: 'split', name: 'tile_c', extent: s.c, parts: 2, maxFactors: [null, 64] },
      { kind: 'split', name: 'tile_y', extent: oh, parts: 3, maxFactors: [null, null, 8] },
      { kind: 'split', name: 'tile_x', extent: ow, parts: 3, maxFactors: [null, null, 8] },
      { kind: 'bool', name: 'unroll_taps' },
      { kind: 'bool', name: 'unroll_explicit' },
    ],
    constraints: [(c) => problem(w, c, device)],
    features: (c) => {
      const p = depthwisePlan(w, c);
      const m = model(w, p, device);
      return {
        threads: p.threads,
        regs: m.regsPerThread,
        shared_kb: p.sharedBytes / 1024,
        blocks: p.grid[0],
        traffic_mb: m.trafficBytes / 2 ** 20,
      };
    },
  });
}

export const depthwiseConv2dTemplate: Template = {
  name: NAME,
  op: 'conv2d',
  description: 'depthwise conv (groups = c = k): channel per thread row, spatial tile, shared-memory halo',
  tensorCore: false,
  applies: isDepthwise,
  space,
  defaultConfig(w, device) {
    const { s, oh, ow } = depthwiseGeometry(w);
    const sp = space(w, device);
    for (const [target, inner] of [
      [128, 2],
      [64, 1],
      [32, 1],
    ] as const) {
      const tx = divisorUpTo(ow, 32);
      const ty = divisorUpTo(oh, Math.max(1, target / tx));
      const ix = divisorUpTo(ow / tx, inner);
      const iy = divisorUpTo(oh / ty, inner);
      const tc = divisorUpTo(s.c, Math.max(1, target / (tx * ty)));
      const base = {
        tile_c: [s.c / tc, tc],
        tile_y: [oh / (ty * iy), ty, iy],
        tile_x: [ow / (tx * ix), tx, ix],
        unroll_taps: true,
      };
      for (const c of [
        { ...base, unroll_explicit: true },
        { ...base, unroll_explicit: false },
      ])
        if (sp.isValid(c)) return c;
    }
    for (const c of sp.enumerate()) return c;
    throw new SlicetuneError('INTERNAL', `${NAME}: no valid config for ${workloadKey(w)}`);
  },
  generate(w, config, device): KernelSource {
    const reason = space(w, device).invalidReason(config);
    if (reason !== null)
      throw new SlicetuneError('BAD_OPTION', `${NAME}: invalid config for ${workloadKey(w)}: ${reason}`);
    const p = depthwisePlan(w, config);
    const entry = entryName(NAME, w, config);
    checkGrid(NAME, p.grid);
    return {
      entry,
      code: depthwiseKernelCode(w, p, entry),
      grid: p.grid,
      block: [p.threads, 1, 1],
      dynamicSharedBytes: p.sharedBytes,
      args: kernelArgs(w),
      computes: workloadKey(w),
      model: model(w, p, device),
    };
  },
};
