/**
 * Compiles every kernel of a plan through the Builder (a CPU pool; identical sources once). A
 * tuned kernel that fails to compile is replaced by its node's default kernel, and the plan and
 * its choice say so; a default or fixed kernel that fails is a bug, reported with the log.
 */
import { availableParallelism } from 'node:os';
import type { BackendKind, KernelBinary, KernelSource } from '../gpu/types.js';
import { Builder, type BuildOutcome } from '../measure/builder.js';
import { SlicetuneError } from '../util/errors.js';
import type { PlanResult } from './plan.js';

export interface BuiltPlan {
  /** One binary per launch of the plan, in order. */
  binaries: KernelBinary[];
  /** What was replaced, one sentence each. */
  notes: string[];
}

export async function buildPlan(
  result: PlanResult,
  backend: BackendKind,
  arch: string,
  workers?: number,
): Promise<BuiltPlan> {
  const { plan, fallbacks } = result;
  const parallel = Math.min(8, availableParallelism(), plan.launches.length);
  const builder = new Builder({ backend, arch, workers: workers ?? Math.max(1, parallel) });
  const notes: string[] = [];
  try {
    const outcomes = await builder.build(plan.launches.map((l) => l.source));
    const binaries: KernelBinary[] = [];
    for (const [i, launch] of plan.launches.entries()) {
      const outcome = outcomes[i] as BuildOutcome;
      if (outcome.ok) {
        binaries.push(outcome.binary);
        continue;
      }
      const fallback = fallbacks.get(i);
      if (!fallback) throw buildError(launch.node, launch.source, outcome);
      const replaced = await builder.buildOne(fallback.source);
      if (!replaced.ok) throw buildError(launch.node, fallback.source, replaced);
      notes.push(
        `${launch.node}: the tuned kernel did not compile (${outcome.message}); ran the default config`,
      );
      plan.launches[i] = { ...launch, kind: 'untuned', source: fallback.source };
      const at = plan.choices.findIndex((c) => c.node === launch.node);
      if (at >= 0) plan.choices[at] = fallback.choice;
      binaries.push(replaced.binary);
    }
    return { binaries, notes };
  } finally {
    await builder.close();
  }
}

function buildError(
  node: string,
  source: KernelSource,
  outcome: Extract<BuildOutcome, { ok: false }>,
): SlicetuneError {
  return new SlicetuneError(
    'NVRTC_ERROR',
    `node '${node}': kernel ${source.entry} (${source.computes}) did not compile: ${outcome.message}\n${outcome.log}`.trim(),
  );
}
