/**
 * `slicetune tune <model|file.onnx>`: tune every operator of a model for a share of the GPU, on
 * measurement servers that share the GPU spatially (or, with --baseline, the classic one-server
 * loop to compare against). With --server URL the job runs on a slicetune service instead.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { type Command, Option } from 'commander';
import { probeDevices } from '../../gpu/device.js';
import type { SliceMechanism } from '../../gpu/types.js';
import { extractTasks, isZooName, loadModel } from '../../graph/index.js';
import { MEASURE_PROTOCOLS, type MeasureProtocol } from '../../measure/types.js';
import { RecordStore } from '../../records/store.js';
import { STRATEGY_NAMES } from '../../search/strategies/index.js';
import { followJob, submitJob } from '../../service/client.js';
import { planTuning } from '../../sharing/planner.js';
import { tuneModel } from '../../sharing/tune-model.js';
import type { ModelTuningResult, TuningEvent } from '../../sharing/types.js';
import { deadline } from '../../util/deadline.js';
import { SlicetuneError } from '../../util/errors.js';
import {
  type DeviceChoice,
  dbOption,
  deviceOption,
  inputSizeOption,
  jsonOption,
  measureOption,
  parsePositiveInt,
  parseShare,
  seqLenOption,
  timeLimitOption,
} from '../options.js';
import { emit, table } from '../output.js';
import { type ProgressLine, TaskProgress, type TextLine } from '../progress.js';

interface TuneOptions {
  share: number;
  sharing?: SliceMechanism;
  servers?: number;
  clients?: number;
  trials: number;
  strategy: string;
  batch: number;
  seed: number;
  measure: MeasureProtocol;
  baseline?: boolean;
  timeLimit?: number;
  db: string;
  device: DeviceChoice;
  json?: boolean;
  server?: string;
  token?: string;
  inputSize?: number;
  seqLen?: number;
}

export function register(program: Command): void {
  const positive = (name: string) => parsePositiveInt(name);
  program
    .command('tune')
    .description('tune every operator of a model for a share of the GPU, on tuning servers sharing the GPU')
    .argument(
      '<model>',
      'a zoo model (resnet18, resnet50, mobilenet_v2, vgg16, bert_encoder) or a .onnx file',
    )
    .option('--share <percent>', 'share of the GPU the model will run on', parseShare, 100)
    .addOption(
      new Option(
        '--sharing <mechanism>',
        'slice mechanism (default: exclusive at 100%, else green, else mps)',
      ).choices(['exclusive', 'green', 'mps', 'timeslice']),
    )
    .addOption(
      new Option('--servers <n>', 'measurement servers (default: as many slices as fit)').argParser(
        positive('--servers'),
      ),
    )
    .addOption(
      new Option('--clients <n>', 'tuning clients (default: one per server)').argParser(
        positive('--clients'),
      ),
    )
    .option('--trials <n>', 'measured configs per task', positive('--trials'), 64)
    .addOption(new Option('--strategy <name>', 'search strategy').choices(STRATEGY_NAMES).default('model'))
    .option('--batch <n>', 'configs per measured batch', positive('--batch'), 16)
    .option('--seed <n>', 'random seed', positive('--seed'), 1)
    .addOption(measureOption())
    .addOption(timeLimitOption('(all tasks)'))
    .option('--baseline', 'the classic AutoTVM loop: one client, one server, tasks in turn, no pipelining')
    .addOption(dbOption())
    .option('--server <url>', 'submit the job to a slicetune service and follow it')
    .option('--token <token>', 'the service token (default: $SLICETUNE_TOKEN)', process.env.SLICETUNE_TOKEN)
    .addOption(inputSizeOption())
    .addOption(seqLenOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (model: string, opts: TuneOptions) => {
      const result = opts.server ? await tuneRemote(model, opts, opts.server) : await tuneLocal(model, opts);
      if (result) emit(result, opts, () => render(result, opts));
    });
}

async function tuneLocal(model: string, opts: TuneOptions): Promise<ModelTuningResult> {
  const { tasks } = extractTasks(loadModel(model, { inputSize: opts.inputSize, seqLen: opts.seqLen }));
  const probe = await probeDevices(opts.device);
  const device = probe.devices[0];
  if (!device) throw new SlicetuneError('CUDA_NOT_FOUND', `no ${probe.backend} device to tune on`);
  const plan = planTuning({
    share: opts.share,
    deviceSms: device.sms,
    cpuCores: availableParallelism(),
    tasks: tasks.length,
    green: probe.mechanisms.green.supported,
    mps: probe.mechanisms.mps.supported,
    batchSize: opts.batch,
    overrides: { mechanism: opts.sharing, servers: opts.servers, clients: opts.clients },
    baseline: opts.baseline,
  });
  if (!opts.json) {
    process.stderr.write(`${probe.reason}\n${plan.mode} plan for ${model} (${tasks.length} tasks):\n`);
    for (const why of plan.why) process.stderr.write(`  - ${why}\n`);
  }
  const store = RecordStore.open(opts.db);
  const view = opts.json ? undefined : new ProgressView(opts.trials);
  const stop = new AbortController();
  // First Ctrl-C: finish the batches in flight, record them, and stop. A second one kills.
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the batches in flight (Ctrl-C again to kill)\n');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  const limit = opts.timeLimit ? deadline(opts.timeLimit * 1000, stop.signal) : undefined;
  try {
    return await tuneModel({
      tasks,
      plan,
      device: opts.device,
      store,
      runId: randomUUID(),
      trialsPerTask: opts.trials,
      strategy: opts.strategy,
      seed: opts.seed,
      batchSize: opts.batch,
      measureOptions: MEASURE_PROTOCOLS[opts.measure],
      signal: limit?.signal ?? stop.signal,
      onEvent: (e) => view?.on(e),
    });
  } finally {
    process.off('SIGINT', onSigint);
    limit?.clear();
    view?.stop();
    store.close();
  }
}

/** Submits the job to a service and follows its events; the service tunes zoo models only. */
async function tuneRemote(
  model: string,
  opts: TuneOptions,
  url: string,
): Promise<ModelTuningResult | undefined> {
  if (!isZooName(model)) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `--server tunes zoo models only; '${model}' is not one (run it locally)`,
    );
  }
  if (opts.inputSize !== undefined || opts.seqLen !== undefined) {
    throw new SlicetuneError(
      'BAD_OPTION',
      '--server tunes zoo models at their default sizes: drop --input-size/--seq-len',
    );
  }
  const body = {
    model,
    share: opts.share,
    trials: opts.trials,
    strategy: opts.strategy,
    seed: opts.seed,
    ...(opts.measure !== 'quick' ? { measure: opts.measure } : {}),
    ...(opts.sharing ? { sharing: opts.sharing } : {}),
    ...(opts.servers ? { servers: opts.servers } : {}),
    ...(opts.clients ? { clients: opts.clients } : {}),
    ...(opts.baseline ? { baseline: true } : {}),
  };
  const job = await submitJob(url, body, opts.token);
  if (!opts.json) process.stderr.write(`job ${job.id} submitted to ${url} (${job.status})\n`);
  const view = opts.json ? undefined : new ProgressView(opts.trials);
  let result: ModelTuningResult | undefined;
  try {
    const end = await followJob(
      url,
      job.id,
      (e) => {
        if (e.type === 'status') return;
        if (e.type === 'done') result = e.result;
        view?.on(e);
      },
      { token: opts.token },
    );
    if (end.status !== 'finished') {
      throw new SlicetuneError('INTERNAL', `job ${job.id} ${end.status}${end.error ? `: ${end.error}` : ''}`);
    }
  } finally {
    view?.stop();
  }
  return result;
}

/** Bars per task and the estimated model latency line, from the tuner's events. */
class ProgressView {
  private progress: TaskProgress | undefined;
  private readonly bars = new Map<string, ProgressLine>();
  private estimate: TextLine | undefined;

  constructor(private readonly trialsPerTask: number) {}

  on(e: TuningEvent): void {
    if (e.type === 'start') {
      // Made on start, when the tasks' order, totals and FLOPs are known.
      this.progress = new TaskProgress(0);
      for (const [i, t] of e.tasks.entries()) {
        const name = `${String(i + 1).padStart(2)} ${shortKey(t.key)}`;
        this.bars.set(t.key, this.progress.add(name, this.trialsPerTask, t.flops));
      }
      this.estimate = this.progress.addText('estimated model latency: -');
    } else if (e.type === 'task') {
      this.bars.get(e.taskKey)?.set({ trials: e.trials, bestCost: e.bestMs, errors: e.errors });
    } else if (e.type === 'estimate') {
      const ms = isFiniteNumber(e.estimatedModelMs)
        ? `${e.estimatedModelMs.toFixed(4)} ms`
        : '- (a task has no valid config yet)';
      const perMin = e.elapsedMs > 0 ? ((e.validTrials / e.elapsedMs) * 60_000).toFixed(0) : '-';
      this.estimate?.set(`estimated model latency: ${ms} | ${e.validTrials} valid trials, ${perMin}/min`);
    }
  }

  stop(): void {
    this.progress?.stop();
  }
}

function render(r: ModelTuningResult, opts: TuneOptions): string {
  const sim = r.simulated ? ' [SIMULATED GPU: analytical model, not a measurement]' : '';
  const ms = (x: number) => fixed(x, 4, 'none');
  const rows = r.tasks.map((t, i) => [
    i + 1,
    shortKey(t.key),
    t.weight,
    `${t.trials} (+${t.newTrials})`,
    ms(t.bestMs),
    t.bestGflops > 0 ? fixed(t.bestGflops, 0) : '-',
    Object.values(t.errors).reduce((a, b) => a + b, 0),
    t.retimed > 0 ? ms(t.colocatedBestMs) : '-',
    t.client,
    t.stopReason,
  ]);
  const d = r.disturbance;
  const lines = [
    `${r.mode} run ${r.runId} on ${r.deviceName}${sim}`,
    `plan: ${r.plan.servers} ${r.plan.mechanism} server(s) at ${r.plan.percent}%, ${r.plan.clients} client(s), ${r.plan.compileWorkers} compile workers`,
    table([
      [
        '#',
        'task',
        'weight',
        'trials (new)',
        'best ms',
        'GFLOP/s',
        'errors',
        'co-located best',
        'client',
        'stopped',
      ],
      ...rows,
    ]),
    `estimated model latency: ${ms(r.estimatedModelMs)} ms (Σ weight × best)`,
    `${r.validTrials} valid of ${r.trials} trials in ${fixed(r.wallMs / 1000, 1)} s: ${fixed((r.validTrials / Math.max(1, r.wallMs)) * 60_000, 0)} valid trials/min`,
    `GPU measurement occupancy: ${fixed(100 * r.occupancy, 1)}% of ${r.servers.length} slice(s)`,
    d && d.samples > 0
      ? `disturbance (co-located / alone): median ${fixed(d.median, 3)}, p90 ${fixed(d.p90, 3)} over ${d.samples} sampled configs`
      : `disturbance: not measured (${r.mode === 'baseline' ? 'nothing ran beside another measurement' : 'no config beyond the top ones to sample'})`,
    `servers: ${r.stats.restarts} runner restart(s), ${r.stats.requeued} requeued item(s); records in ${opts.server ?? opts.db}`,
  ];
  if (r.stopped)
    lines.push('stopped before every task reached its budget: run again with the same --db to go on');
  return lines.join('\n');
}

/** `conv2d.f32.n1.c64.h56.w56.k64.r3.s3.st1x1.pd1x1.dl1x1.g1+bias+relu|conv2d_igemm` -> `conv2d c64 h56 w56 k64 r3 s3 st1x1 +relu`. */
function shortKey(key: string): string {
  const [workload = key] = key.split('|');
  const [shape = workload, ...epilogue] = workload.split('+');
  const parts = shape
    .split('.')
    .filter((p) => !['f32', 'n1', 'g1', 'dl1x1'].includes(p) && !p.startsWith('pd'));
  // The bias is in every fused layer: the rest of the epilogue tells tasks apart.
  const tail = epilogue.filter((e) => e !== 'bias');
  return [...parts, ...(tail.length > 0 ? [`+${tail.join('+')}`] : [])].join(' ');
}

/** A result that came over the service's JSON has null where Infinity or NaN was. */
function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function fixed(x: unknown, digits: number, none = '-'): string {
  return isFiniteNumber(x) ? x.toFixed(digits) : none;
}
