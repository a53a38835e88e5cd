/**
 * bench/models: whole models tuned by slicetune and run end to end, against PyTorch (issue 5).
 * For resnet18, resnet50, mobilenet_v2 and vgg16 (batch 1, 224x224, fp32), at a target share of
 * 100% (section a) and 25% (section b):
 *   1. tune every task with tuneModel (the planner's servers for that share; --trials per task,
 *      each tuning run capped at --cap-s seconds, so the whole benchmark fits one device call),
 *   2. run the model with its best kernels for that share (runtime: buffers once, one CUDA graph,
 *      --runs replays), checked against the CPU reference executor and onnxruntime-node,
 *   3. time PyTorch on the same share in the same call (bench/peers/torch_models.py: torchvision's
 *      architectures with their own random weights, as latency does not depend on weight values;
 *      CUDA graph, fp32, TF32 off).
 * 100%: slicetune exclusive in this process, PyTorch alone. 25%: both as MPS clients with
 * CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25 under one daemon (tuning used the planner's slices).
 * Usage: node bench/models.js [--device cuda|sim] [--out DIR] [--models resnet18,...] [--trials 32]
 *        [--cap-s 35] [--runs 200] [--time-scale 0] [--references cpu-reference,onnxruntime-cpu] [--only ab]
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DeviceChoice, probeDevices } from '../src/gpu/device.js';
import { type MpsDaemon, mpsEnv, startMpsDaemon, stopMpsDaemon } from '../src/gpu/mps.js';
import type { DeviceInfo } from '../src/gpu/types.js';
import { extractTasks, loadModel } from '../src/graph/index.js';
import { RecordStore } from '../src/records/store.js';
import type { ReferenceEngine } from '../src/runtime/check.js';
import { runModel, runModelInChild } from '../src/runtime/index.js';
import type { RunModelOptions, RunReport } from '../src/runtime/types.js';
import { planTuning } from '../src/sharing/planner.js';
import { tuneModel } from '../src/sharing/tune-model.js';
import type { ModelTuningResult } from '../src/sharing/types.js';
import { deadline } from '../src/util/deadline.js';
import { runPythonPeer } from './lib/peer.js';
import { argValue, fmt, mdTable, runBenchmark } from './lib/report.js';

const device = argValue('device', 'cuda') as DeviceChoice;
const outDir = argValue('out', process.env.OUT ?? 'out');
const models = argValue('models', 'resnet18,resnet50,mobilenet_v2,vgg16').split(',');
const trials = Number(argValue('trials', '32'));
const capS = Number(argValue('cap-s', '35'));
const runs = Number(argValue('runs', '200'));
const timeScale = Number(argValue('time-scale', '0'));
const references = argValue('references', 'cpu-reference,onnxruntime-cpu').split(',') as ReferenceEngine[];
const probe = await probeDevices(device);
const card: DeviceInfo | undefined = probe.devices[0];
const scratch = mkdtempSync(join(tmpdir(), 'bench-models-'));
const storeOf = (model: string) => join(scratch, `${model}.db`);
const out: string[] = [];
const json: Record<string, unknown> = { models, trialsPerTask: trials, capS, runs, references };

interface PeerResults {
  torch: string;
  cudnn: number;
  device: string;
  sms: number;
  results: Record<string, { median_ms: number; p99_ms: number; min_ms: number; source: string }>;
}

interface Row {
  model: string;
  tuning: ModelTuningResult;
  ours: RunReport;
}

async function tune(model: string, share: number): Promise<ModelTuningResult> {
  const { tasks } = extractTasks(loadModel(model));
  const plan = planTuning({
    share,
    deviceSms: card?.sms ?? 132,
    cpuCores: availableParallelism(),
    tasks: tasks.length,
    green: probe.mechanisms.green.supported,
    mps: probe.mechanisms.mps.supported,
  });
  const store = RecordStore.open(storeOf(model));
  const t = performance.now();
  const cap = deadline(capS * 1000);
  try {
    const result = await tuneModel({
      tasks,
      plan,
      device,
      store,
      runId: `${model}-${share}`,
      trialsPerTask: trials,
      strategy: 'model',
      seed: 1,
      backendOptions: { timeScale, seed: 1 },
      signal: cap.signal,
    });
    const wall = ((performance.now() - t) / 1000).toFixed(1);
    process.stderr.write(
      `${model} @${share}%: ${result.validTrials} valid trials in ${wall} s (${plan.servers}x ${plan.mechanism})\n`,
    );
    return result;
  } finally {
    cap.clear();
    store.close();
  }
}

function runOptions(model: string, share: number): RunModelOptions {
  return {
    model,
    db: storeOf(model),
    percent: share,
    mechanism: share >= 100 ? 'exclusive' : 'mps',
    device,
    runs,
    warmup: 20,
    references,
    referenceCacheDir: join(scratch, 'references'),
    backendOptions: { timeScale, seed: 1 },
  };
}

const peerScript = fileURLToPath(new URL('./peers/torch_models.py', import.meta.url));
const peerInput = { models, runs, warmup: 20, inputSize: 224 };

async function section(share: number): Promise<void> {
  const tunings = new Map<string, ModelTuningResult>();
  for (const model of models) tunings.set(model, await tune(model, share));
  const rows: Row[] = [];
  let peer: PeerResults | undefined;
  let daemon: MpsDaemon | undefined;
  try {
    if (share < 100 && !card?.simulated) daemon = await startMpsDaemon();
    const env = daemon ? mpsEnv(share, daemon, card?.sms) : {};
    for (const [model, tuning] of tunings) {
      const o = runOptions(model, share);
      rows.push({ model, tuning, ours: daemon ? await runModelInChild(o, env) : await runModel(o) });
    }
    if (!card?.simulated) peer = runPythonPeer<PeerResults>(peerScript, peerInput, env, 400_000);
  } finally {
    if (daemon) await stopMpsDaemon(daemon);
  }
  report(share, rows, peer);
}

function correctness(r: RunReport): string {
  const c = r.correctness;
  if (!c.checked) return 'not checked (simulated)';
  if (c.comparisons.length === 0)
    return `no reference ran (${c.unavailable.map((u) => u.against).join(', ')})`;
  const worst = Math.max(...c.comparisons.map((x) => x.scaledError));
  return `${c.ok ? 'yes' : 'NO'} (${fmt(worst, 2)} <= ${c.tolerance})`;
}

function report(share: number, rows: Row[], peer: PeerResults | undefined): void {
  const table: (string | number)[][] = [
    [
      'model',
      'ours median ms',
      'ours p99 ms',
      'PyTorch median ms',
      'PyTorch p99 ms',
      'x (PyTorch / ours)',
      'correct',
      'tuned nodes (by tuned share) / untuned',
      'tuning: valid trials, wall s',
    ],
  ];
  for (const { model, ours, tuning } of rows) {
    const p = peer?.results[model];
    const k = ours.kernels;
    const shares = Object.entries(k.byTunedShare)
      .map(([s, n]) => `${n}@${s}%`)
      .join(' ');
    table.push([
      model,
      fmt(ours.latency.medianMs, 4),
      fmt(ours.latency.p99Ms, 4),
      p ? fmt(p.median_ms, 4) : '-',
      p ? fmt(p.p99_ms, 4) : '-',
      p ? fmt(p.median_ms / ours.latency.medianMs) : '-',
      correctness(ours),
      `${k.tuned} (${shares || 'none'}) / ${k.untuned}`,
      `${tuning.validTrials}, ${fmt(tuning.wallMs / 1000)}${tuning.stopped ? ' (capped)' : ''}`,
    ]);
  }
  const slice = rows[0]?.ours.slice;
  out.push(
    `## ${share === 100 ? 'a' : 'b'}) ${share}% of the GPU (ours: ${slice?.mechanism}, ${slice?.sms} of ${slice?.totalSms} SMs)`,
    '',
    mdTable(table),
    '',
    peer
      ? `PyTorch ${peer.torch}, cuDNN ${peer.cudnn}, ${Object.values(peer.results)[0]?.source ?? ''} architectures with random weights (latency does not depend on weight values); fp32, TF32 off, cudnn.benchmark on, one inference per CUDA-graph replay${share < 100 ? `, MPS client at ${share}%` : ''}.`
      : 'PyTorch: not run (simulated GPU).',
    `Ours: ${runs} CUDA-graph replays after 20 warm-up, each timed alone; kernels from the store's best record at ${share}% (nearest tuned share otherwise), the default config where a task has none.`,
    '',
  );
  json[`share${share}`] = rows.map(({ model, ours, tuning }) => ({
    model,
    ours: {
      latency: ours.latency,
      correctness: ours.correctness,
      kernels: { ...ours.kernels, choices: undefined },
      slice: ours.slice,
      notes: ours.notes,
    },
    peer: peer?.results[model] ?? null,
    tuning: {
      validTrials: tuning.validTrials,
      trials: tuning.trials,
      wallMs: tuning.wallMs,
      stopped: tuning.stopped,
      estimatedModelMs: tuning.estimatedModelMs,
    },
  }));
  if (peer)
    json[`peer${share}`] = { torch: peer.torch, cudnn: peer.cudnn, device: peer.device, sms: peer.sms };
}

await runBenchmark({
  name: 'models',
  outDir,
  only: argValue('only', 'ab'),
  sections: { a: () => section(100), b: () => section(25) },
  out,
  json,
  card: () => card,
  command: `node bench/models.js --models ${models.join(',')} --trials ${trials} --cap-s ${capS} --runs ${runs}`,
});
