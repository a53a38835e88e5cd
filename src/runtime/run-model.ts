/**
 * Running a tuned model on a slice, in this process: load and optimize the graph, pick each
 * tunable node's kernel for the share (records), plan the buffers, compile (Builder), capture the
 * model as one CUDA graph, run it once for the output, check that output on a real GPU, then
 * time N replays. An `mps` slice on a real GPU needs an MPS client process: see mps-client.ts.
 */
import { openBackend, resolveBackend } from '../gpu/device.js';
import type { DeviceInfo } from '../gpu/types.js';
import { extractTasks, type Graph, loadModel, randomGraphInputs } from '../graph/index.js';
import { formatPercent } from '../records/share.js';
import { RecordStore } from '../records/store.js';
import { SlicetuneError } from '../util/errors.js';
import { buildPlan } from './build.js';
import { checkCorrectness, SIM_NOT_CHECKED } from './correctness.js';
import { ModelExecutor } from './executor.js';
import { planExecution } from './plan.js';
import { kernelSummary, latencyStats, shareNotes } from './summary.js';
import type { RunModelOptions, RunReport } from './types.js';

export const SIMULATED_LABEL =
  'SIMULATED GPU (analytical model): latencies are predictions, not measurements; no values are computed';

function checkOptions(o: RunModelOptions): { runs: number; warmup: number; seed: number } {
  const runs = o.runs ?? 200;
  const warmup = o.warmup ?? 20;
  if (!Number.isInteger(runs) || runs < 1)
    throw new SlicetuneError('BAD_OPTION', `runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new SlicetuneError('BAD_OPTION', `warmup must be an integer >= 0, got ${warmup}`);
  if (!(o.percent > 0 && o.percent <= 100))
    throw new SlicetuneError('BAD_OPTION', `share must be in (0, 100], got ${o.percent}`);
  const t = o.tunedAtPercent;
  if (t !== undefined && !(t > 0 && t <= 100))
    throw new SlicetuneError('BAD_OPTION', `tunedAtPercent must be in (0, 100], got ${t}`);
  return { runs, warmup, seed: o.seed ?? 1 };
}

function selectKernels(o: RunModelOptions, optimized: Graph, device: DeviceInfo) {
  const store = o.db === undefined ? undefined : RecordStore.open(o.db, { mustExist: true });
  try {
    return planExecution(optimized, device, {
      store,
      percent: o.percent,
      tunedAtPercent: o.tunedAtPercent,
      mechanism: o.recordMechanism,
      deviceName: device.name,
      allowTensorCores: o.allowTensorCores,
    });
  } finally {
    store?.close();
  }
}

export async function runModel(o: RunModelOptions): Promise<RunReport> {
  const { runs, warmup, seed } = checkOptions(o);
  const graph = loadModel(o.model, o.zoo ?? {});
  const { graph: optimized } = extractTasks(graph);
  const { kind, reason } = resolveBackend(o.device);
  const backend = openBackend(kind, o.backendOptions);
  try {
    const ctx = backend.openSlice({ mechanism: o.mechanism, percent: o.percent });
    const device = ctx.device;
    const planned = selectKernels(o, optimized, device);
    const { plan } = planned;
    const built = await buildPlan(planned, kind, device.arch, o.compileWorkers);
    const weights = new Map(
      optimized.initializers.flatMap((i) =>
        i.data instanceof Float32Array ? [[i.name, i.data] as const] : [],
      ),
    );
    const executor = ModelExecutor.open(ctx, plan, built.binaries, weights);
    try {
      const usedAfterSetupBytes = used(executor.memInfo());
      const inputs = randomGraphInputs(graph, seed);
      const outputs = await executor.run(inputs);
      const correctness = device.simulated
        ? SIM_NOT_CHECKED
        : await checkCorrectness(o, graph, plan, inputs, outputs, seed);
      const times = await executor.time(runs, warmup);
      const summary = kernelSummary(plan, executor.uniqueKernels);
      const recordShare = o.tunedAtPercent ?? o.percent;
      const notes = [reason, ...built.notes, ...shareNotes(plan, recordShare)];
      if (recordShare !== o.percent) {
        notes.push(
          `kernels tuned at ${formatPercent(recordShare)} run on a ${formatPercent(o.percent)} slice (tunedAtPercent)`,
        );
      }
      if (summary.untuned > 0) {
        notes.push(
          `${summary.untuned} of ${summary.tunableNodes} tunable nodes ran untuned (default config of their template)`,
        );
      }
      return {
        model: graph.name,
        source: o.model,
        device: { name: device.name, arch: device.arch, sms: device.sms, simulated: device.simulated },
        slice: ctx.slice,
        share: { percent: o.percent, mechanism: o.mechanism },
        ...(device.simulated ? { simulatedLabel: SIMULATED_LABEL } : {}),
        latency: latencyStats(times, warmup),
        correctness,
        kernels: summary,
        memory: {
          buffers: executor.bufferCount,
          bufferBytes: executor.bufferBytes,
          usedAfterSetupBytes,
          usedAfterRunsBytes: used(executor.memInfo()),
        },
        notes,
      };
    } finally {
      executor.close();
    }
  } finally {
    backend.close();
  }
}

const used = (m: { free: number; total: number }) => m.total - m.free;
