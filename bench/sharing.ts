/**
 * bench/sharing: tuning a whole model on a shared GPU against the classic loop (issue 6).
 * ResNet-18, the same trial budget per task, for target shares 100% and 25%:
 *   baseline  one client, one server alone on the GPU, tasks in turn, batches built then measured
 *   green     the planner's servers on green contexts (100%: one green server)
 *   mps       MPS servers (25%: four at 25%; 100%: four MPS clients at 100% each, sharing all SMs)
 * and for each: a) valid trials per minute, b) time until the estimated model latency (Σ weight ×
 * best) is within 3% of the baseline's final one, c) GPU measurement occupancy (measured-kernel
 * slice-seconds / wall × slices), d) the disturbance (co-located / alone time of sampled configs).
 * Each run also reports its compile times, and how much slower they were than the same configs
 * compiled again alone after it (a sample of 32; docs/RESULTS.md 3.3 for why).
 * Every run has its own fresh record store. Runs are capped (--cap-s, baselines get twice as
 * long) so the whole benchmark fits one 10-minute device call; a capped run says so.
 * Usage: node bench/sharing.js [--device cuda|sim] [--out DIR] [--trials 32] [--batch 8]
 *        [--strategy model] [--cap-s 50] [--time-scale 1] [--retime-top 3] [--retime-samples 1]
 *        [--clients-per-server 0 (the planner's count)] [--clients 0] [--strategy-threads auto|on|off]
 *        [--only ab] [--measure quick|autotvm]
 * --measure autotvm times every config as TVM's GPU tutorials do (min_repeat_ms 150: the paper's
 * measurement-bound loop); quick (the default) is slicetune's, under which the loop is compile-bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeviceChoice, probeDevices } from '../src/gpu/device.js';
import type { DeviceInfo, SliceMechanism } from '../src/gpu/types.js';
import { extractTasks, loadModel } from '../src/graph/index.js';
import { MEASURE_PROTOCOL_NAMES, MEASURE_PROTOCOLS, type MeasureProtocol } from '../src/measure/types.js';
import { RecordStore } from '../src/records/store.js';
import { planTuning } from '../src/sharing/planner.js';
import { tuneModel } from '../src/sharing/tune-model.js';
import type { ModelTuningResult, TuningPlan } from '../src/sharing/types.js';
import { deadline } from '../src/util/deadline.js';
import { mean, quantile } from '../src/util/stats.js';
import { compileInflation, hostCompiler, type Inflation } from './lib/host-compiler.js';
import { planInputs } from './lib/plan.js';
import { argValue, fmt, mdTable, runBenchmark } from './lib/report.js';

const device = argValue('device', 'cuda') as DeviceChoice;
const outDir = argValue('out', process.env.OUT ?? 'out');
const trials = Number(argValue('trials', '32'));
const batch = Number(argValue('batch', '8'));
const strategy = argValue('strategy', 'model');
const capS = Number(argValue('cap-s', '50'));
const timeScale = Number(argValue('time-scale', '1'));
const model = argValue('model', 'resnet18');
/** 0: the planner's count of clients. */
const clientsPerServer = Number(argValue('clients-per-server', '0'));
/** 0: as above; else this many clients in every shared run. */
const clientsTotal = Number(argValue('clients', '0'));
const fidelity = {
  topK: Number(argValue('retime-top', '3')),
  samples: Number(argValue('retime-samples', '1')),
};
/** on/off: force client strategy threads (the ablation); auto: tuneModel's default (on for model). */
const strategyThreadsArg = argValue('strategy-threads', 'auto');
const strategyThreads = strategyThreadsArg === 'auto' ? undefined : strategyThreadsArg === 'on';
const measure = argValue('measure', 'quick') as MeasureProtocol;
if (!(measure in MEASURE_PROTOCOLS))
  throw new Error(`--measure must be one of ${MEASURE_PROTOCOL_NAMES.join(', ')}, got '${measure}'`);
const measureOptions = MEASURE_PROTOCOLS[measure];
const WITHIN = 0.03;

const { tasks } = extractTasks(loadModel(model));
const probe = await probeDevices(device);
const card: DeviceInfo | undefined = probe.devices[0];
/** Compiles configs again after each run, to compare with its compile times (INFLATION_SAMPLES). */
const checkCompiler = card ? await hostCompiler(device, card.arch) : undefined;
const out: string[] = [];
const json: Record<string, unknown> = {
  model,
  trialsPerTask: trials,
  batch,
  strategy,
  strategyThreads: strategyThreadsArg,
  measure,
  measureOptions,
  capS,
  fidelity,
  tasks: tasks.length,
};
const scratch = mkdtempSync(join(tmpdir(), 'bench-sharing-'));

/** Configs of each run compiled again alone, after it, to check its compile times. */
const INFLATION_SAMPLES = 32;

/** What the compile workers did: the shared runs are bound by it once the GPU waits on them. */
interface CompileStats {
  kernels: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  /** Σ compile ms / (wall ms × compile workers): how busy the CPU pool was. */
  busy: number;
  /** Compile ms during the run / alone afterwards, for a sample of its configs. */
  inflation: Inflation | undefined;
}

interface Run {
  label: string;
  compile: CompileStats;
  plan: TuningPlan;
  result: ModelTuningResult;
  capped: boolean;
  /** [elapsed ms, estimated model ms] after every batch, once finite. */
  curve: [number, number][];
}

async function tuneOnce(label: string, plan: TuningPlan, capMs: number): Promise<Run> {
  const store = RecordStore.open(join(scratch, `${label.replace(/\W+/g, '-')}.db`));
  const curve: [number, number][] = [];
  const cap = deadline(capMs);
  const t = performance.now();
  try {
    const result = await tuneModel({
      tasks,
      plan,
      device,
      store,
      runId: label,
      trialsPerTask: trials,
      strategy,
      ...(strategyThreads === undefined ? {} : { strategyThreads }),
      seed: 1,
      batchSize: batch,
      measureOptions,
      backendOptions: { timeScale, seed: 1 },
      ...(plan.mode === 'shared' && plan.servers > 1 ? { fidelity } : {}),
      signal: cap.signal,
      onEvent: (e) => {
        if (e.type === 'estimate' && Number.isFinite(e.estimatedModelMs))
          curve.push([e.elapsedMs, e.estimatedModelMs]);
      },
    });
    process.stderr.write(
      `${label}: ${result.validTrials} valid trials in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
    const records = store.query({ runId: label });
    const compileMs = records.map((r) => r.result.compileMs);
    const compile = {
      kernels: compileMs.length,
      meanMs: mean(compileMs),
      p50Ms: quantile(compileMs, 0.5),
      p90Ms: quantile(compileMs, 0.9),
      maxMs: Math.max(...compileMs),
      busy: compileMs.reduce((a, b) => a + b, 0) / (result.wallMs * plan.compileWorkers),
      // After the run, outside the timing: how much slower the loop compiled than a quiet process.
      inflation:
        card && checkCompiler
          ? compileInflation(checkCompiler, records, tasks, card, INFLATION_SAMPLES)
          : undefined,
    };
    return { label, plan, result, capped: result.stopped, curve, compile };
  } finally {
    cap.clear();
    store.close();
  }
}

function planFor(share: number, mode: 'baseline' | SliceMechanism): TuningPlan {
  const base = planInputs(probe, share, tasks.length, batch);
  if (mode === 'baseline') return planTuning({ ...base, baseline: true });
  // MPS at 100%: four clients that may each use every SM (green contexts cannot overlap).
  const servers = mode === 'mps' && share === 100 ? 4 : undefined;
  const plan = planTuning({ ...base, overrides: { mechanism: mode, ...(servers ? { servers } : {}) } });
  if (clientsPerServer === 0 && clientsTotal === 0) return plan;
  // Clients as asked, in place of the planner's count.
  const clients = clientsTotal || plan.servers * clientsPerServer;
  return planTuning({ ...base, overrides: { mechanism: mode, servers: plan.servers, clients } });
}

/** First elapsed ms at which the estimate is within 3% of `target` (undefined if never). */
function timeToWithin(curve: readonly [number, number][], target: number): number | undefined {
  return curve.find(([, ms]) => ms <= target * (1 + WITHIN))?.[0];
}

async function section(share: number): Promise<void> {
  const runs: Run[] = [];
  const notes: string[] = [];
  const modes = ['baseline', 'green', 'mps'] as const;
  for (const mode of modes) {
    if (mode !== 'baseline' && !probe.mechanisms[mode].supported) {
      notes.push(`- ${mode}: skipped (${probe.mechanisms[mode].why})`);
      continue;
    }
    const capMs = (mode === 'baseline' ? 2 : 1) * capS * 1000;
    runs.push(await tuneOnce(`${mode}-${share}`, planFor(share, mode), capMs));
  }
  const baseline = runs.find((r) => r.plan.mode === 'baseline');
  if (!baseline) throw new Error('the baseline run is missing');
  const target = baseline.result.estimatedModelMs;
  const tBase = timeToWithin(baseline.curve, target);
  const perMin = (r: Run) => (r.result.validTrials / Math.max(1, r.result.wallMs)) * 60_000;
  const rows: (string | number)[][] = [
    [
      'run',
      'plan',
      'valid / trials',
      'wall s',
      'a) valid trials/min',
      'x baseline',
      'b) s to within 3%',
      'time saved',
      'c) occupancy',
      'final est. ms',
      'd) disturbance median / p90',
      'compile ms mean / p90 / max',
      'build timeouts',
      'compile pool busy',
      'compile in run / alone (median, p90)',
      'restarts',
    ],
  ];
  for (const r of runs) {
    const t = timeToWithin(r.curve, target);
    const d = r.result.disturbance;
    rows.push([
      r.label + (r.capped ? ' (capped)' : ''),
      `${r.plan.servers}x ${r.plan.mechanism} ${r.plan.percent}%, ${r.plan.clients} client(s)`,
      `${r.result.validTrials} / ${r.result.trials}`,
      fmt(r.result.wallMs / 1000),
      fmt(perMin(r)),
      fmt(perMin(r) / perMin(baseline)),
      t === undefined ? 'not reached' : fmt(t / 1000),
      t === undefined || tBase === undefined ? '-' : `${fmt(100 * (1 - t / tBase))}%`,
      `${fmt(100 * r.result.occupancy)}%`,
      fmt(r.result.estimatedModelMs, 4),
      d ? `${fmt(d.median)} / ${fmt(d.p90)} (n=${d.samples})` : '- (alone)',
      `${fmt(r.compile.meanMs)} / ${fmt(r.compile.p90Ms)} / ${fmt(r.compile.maxMs)}`,
      r.result.compiles.timedOut,
      `${fmt(100 * r.compile.busy)}% of ${r.plan.compileWorkers}`,
      r.compile.inflation
        ? `${fmt(r.compile.inflation.median)}, ${fmt(r.compile.inflation.p90)} (n=${r.compile.inflation.samples})`
        : '-',
      r.result.stats.restarts,
    ]);
  }
  out.push(
    `## ${share === 100 ? 'a' : 'b'}) target share ${share}%: ${model}, ${trials} trials per task (${tasks.length} tasks), strategy ${strategy}, measure ${measure}`,
    '',
    mdTable(rows),
    '',
    ...notes,
    `Baseline final estimated model latency: ${fmt(target, 4)} ms; "within 3%" means an estimate <= ${fmt(target * (1 + WITHIN), 4)} ms.`,
    "Estimates during a shared run use co-located timings; each task's final best is the fastest alone of its top configs that could still win (at most 3; sharing/fidelity.ts).",
    '',
  );
  json[`share${share}`] = runs.map((r) => ({
    label: r.label,
    plan: r.plan,
    capped: r.capped,
    validTrials: r.result.validTrials,
    trials: r.result.trials,
    wallMs: r.result.wallMs,
    validPerMinute: perMin(r),
    timeToWithin3PctMs: timeToWithin(r.curve, target) ?? null,
    occupancy: r.result.occupancy,
    estimatedModelMs: r.result.estimatedModelMs,
    disturbance: r.result.disturbance
      ? { ...r.result.disturbance, pairs: r.result.disturbance.pairs.length }
      : null,
    servers: r.result.servers,
    stats: r.result.stats,
    compile: { ...r.compile, builder: r.result.compiles },
    tasks: r.result.tasks.map((t) => ({
      key: t.key,
      bestMs: t.bestMs,
      colocatedBestMs: t.colocatedBestMs,
      trials: t.trials,
    })),
    curve: downsample(r.curve, 200),
  }));
}

function downsample<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))] as T);
}

try {
  await runBenchmark({
    name: 'sharing',
    outDir,
    only: argValue('only', 'ab'),
    sections: { a: () => section(100), b: () => section(25) },
    out,
    json,
    card: () => card,
    command: `node bench/sharing.js --device ${device} --trials ${trials} --batch ${batch} --strategy ${strategy} --strategy-threads ${strategyThreadsArg} --cap-s ${capS} --clients-per-server ${clientsPerServer} --clients ${clientsTotal} --measure ${measure}`,
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
