/**
 * A Template from a GEMM binding: how an operator maps onto the tiled GEMM core (its operands,
 * the block's base pointers, where C's elements go). dense, batch_matmul and conv2d_igemm are
 * such bindings; the space, validity, default config, code and model come from here.
 */
import type { DeviceInfo, KernelSource } from '../gpu/types.js';
import type { OpKind, Workload } from '../ops/index.js';
import { kernelArgs, workloadKey } from '../ops/index.js';
import type { Config, ConfigSpace } from '../space/index.js';
import { defineSpace } from '../space/index.js';
import { SlicetuneError } from '../util/errors.js';
import { type ArgNames, bindArgs, checkGrid, entryName } from './cuda.js';
import { type GemmProblem, gemmModel, gemmPlan, gemmProblem } from './gemm-core.js';
import { gemmKernelCode } from './gemm-kernel.js';
import { type GemmKnobOptions, gemmDefaultCandidates, gemmKnobs, gemmTiling } from './gemm-space.js';
import type { Template } from './types.js';

export interface GemmBinding {
  name: string;
  op: OpKind;
  description: string;
  applies(w: Workload): boolean;
  knobOptions(w: Workload): GemmKnobOptions;
  /** The GEMM for this workload under this config (the config decides vector loads). */
  problem(w: Workload, config: Config): GemmProblem;
  /** Statements defining `A_` and `B_` for this block (may use `blk_extra`, `blk_z`). */
  prologue(w: Workload, names: ArgNames): string;
  site(w: Workload, m: string, n: string): { index: string; channel: string };
  /** Whether C is contiguous along m (conv: pixels), so warps should lay lanes along m. */
  mFastest: boolean;
}

function gemmFeatures(p: GemmProblem, c: Config, device: DeviceInfo): Record<string, number> {
  const names = ['threads', 'regs', 'shared_kb', 'blocks', 'k_stages', 'efficiency', 'traffic_mb'];
  try {
    const plan = gemmPlan(p, gemmTiling(c));
    const model = gemmModel(p, plan, device);
    const values = [
      plan.threads,
      model.regsPerThread,
      plan.sharedBytes / 1024,
      plan.grid[0] * plan.grid[2],
      plan.kTiles,
      model.computeEfficiency,
      model.trafficBytes / 2 ** 20,
    ];
    return Object.fromEntries(
      names.map((n, i) => [n, Number.isFinite(values[i]) ? (values[i] as number) : 0]),
    );
  } catch {
    return Object.fromEntries(names.map((n) => [n, 0]));
  }
}

export function gemmTemplate(b: GemmBinding): Template {
  const requireApplies = (w: Workload) => {
    if (!b.applies(w)) {
      throw new SlicetuneError('UNSUPPORTED_OP', `template ${b.name} does not apply to ${workloadKey(w)}`);
    }
  };
  const space = (w: Workload, device: DeviceInfo): ConfigSpace => {
    requireApplies(w);
    return defineSpace({
      name: `${b.name} ${workloadKey(w)}`,
      knobs: gemmKnobs(b.knobOptions(w)),
      constraints: [(c) => gemmProblem(b.problem(w, c), gemmTiling(c), device)],
      features: (c) => gemmFeatures(b.problem(w, c), c, device),
    });
  };
  return {
    name: b.name,
    op: b.op,
    description: b.description,
    tensorCore: false,
    applies: b.applies,
    space,
    defaultConfig(w: Workload, device: DeviceInfo): Config {
      const s = space(w, device);
      for (const c of gemmDefaultCandidates(b.knobOptions(w), device, b.mFastest)) if (s.isValid(c)) return c;
      throw new SlicetuneError('INTERNAL', `${b.name}: no default config is valid for ${workloadKey(w)}`);
    },
    generate(w: Workload, config: Config, device: DeviceInfo): KernelSource {
      requireApplies(w);
      const reason = space(w, device).invalidReason(config);
      if (reason !== null) {
        throw new SlicetuneError('BAD_OPTION', `${b.name}: invalid config for ${workloadKey(w)}: ${reason}`);
      }
      const p = b.problem(w, config);
      const plan = gemmPlan(p, gemmTiling(config));
      const names = bindArgs(w);
      const entry = entryName(b.name, w, config);
      const code = gemmKernelCode(p, plan, {
        w,
        names,
        entry,
        prologue: b.prologue(w, names),
        site: (m, n) => b.site(w, m, n),
        comment: `${b.name} for ${workloadKey(w)}`,
      });
      checkGrid(b.name, plan.grid);
      return {
        entry,
        code,
        grid: plan.grid,
        block: [plan.threads, 1, 1],
        dynamicSharedBytes: plan.sharedBytes,
        args: kernelArgs(w),
        computes: workloadKey(w),
        model: gemmModel(p, plan, device),
      };
    },
  };
}
