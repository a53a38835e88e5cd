/**
 * `slicetune sweep <model|file.onnx> --shares 100,50,25,10`: tune the model at each share, run
 * every tuned variant at every share, print the tuned-at x run-at latency matrix and what it says
 * (is tuning at the serving share best there? which share to tune at when the serving share is
 * unknown?). With --out, also the HTML report with the matrix.
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { MEASURE_PROTOCOLS, type MeasureProtocol } from '../../measure/types.js';
import { formatPercent } from '../../records/share.js';
import { RecordStore } from '../../records/store.js';
import { parseShareList, runSweep, type SweepEvent, type SweepResult } from '../../report/sweep.js';
import { describeSweep } from '../../report/sweep-analysis.js';
import { writeReport } from '../../report/write-report.js';
import { STRATEGY_NAMES } from '../../search/strategies/index.js';
import {
  type DeviceChoice,
  dbOption,
  deviceOption,
  inputSizeOption,
  jsonOption,
  measureOption,
  parsePositiveInt,
  seqLenOption,
  timeLimitOption,
} from '../options.js';
import { emit, table } from '../output.js';

interface SweepCliOptions {
  shares: number[];
  trials: number;
  runs: number;
  warmup: number;
  strategy: string;
  seed: number;
  measure: MeasureProtocol;
  timeLimit?: number;
  db: string;
  out?: string;
  inputSize?: number;
  seqLen?: number;
  device: DeviceChoice;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description(
      'tune a model at each share, run every tuned variant at every share: the tuned-at x run-at matrix',
    )
    .argument(
      '<model>',
      'a zoo model (resnet18, resnet50, mobilenet_v2, vgg16, bert_encoder) or a .onnx file',
    )
    .option(
      '--shares <list>',
      'shares of the GPU, percent, comma-separated',
      (v) => parseShareList(v),
      [100, 50, 25, 10],
    )
    .option('--trials <n>', 'measured configs per task at each share', parsePositiveInt('--trials'), 64)
    .option('--runs <n>', 'timed runs of each tuned-at x run-at pair', parsePositiveInt('--runs'), 200)
    .option('--warmup <n>', 'untimed runs before timing', parsePositiveInt('--warmup'), 20)
    .addOption(new Option('--strategy <name>', 'search strategy').choices(STRATEGY_NAMES).default('model'))
    .option('--seed <n>', 'random seed', parsePositiveInt('--seed'), 1)
    .addOption(measureOption())
    .addOption(timeLimitOption('at each share'))
    .addOption(dbOption())
    .option('--out <dir>', 'also write the HTML report with the matrix into this folder')
    .addOption(inputSizeOption())
    .addOption(seqLenOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (model: string, opts: SweepCliOptions) => {
      const db = resolve(opts.db);
      const result = await runSweep({
        model,
        zoo: { inputSize: opts.inputSize, seqLen: opts.seqLen },
        shares: opts.shares,
        trialsPerTask: opts.trials,
        runs: opts.runs,
        warmup: opts.warmup,
        db,
        device: opts.device,
        strategy: opts.strategy,
        seed: opts.seed,
        measureOptions: MEASURE_PROTOCOLS[opts.measure],
        timeLimitS: opts.timeLimit,
        onEvent: opts.json ? undefined : progress,
      });
      let report: string | undefined;
      if (opts.out !== undefined) {
        const store = RecordStore.open(db, { mustExist: true });
        try {
          report = writeReport(store, resolve(opts.out), result.matrix).html;
        } finally {
          store.close();
        }
      }
      emit({ ...result, ...(report ? { report } : {}) }, opts, () => render(result, report));
    });
}

/** One line on stderr per share tuned and per pair run (the matrix takes minutes on a GPU). */
function progress(e: SweepEvent): void {
  if (e.type === 'tune-start') {
    process.stderr.write(
      `tuning at ${formatPercent(e.share)}: ${e.tasks} tasks on ${e.servers} ${e.mechanism} server(s)\n`,
    );
  } else if (e.type === 'tuned') {
    process.stderr.write(
      `  ${e.tuning.newTrials} new trials (${e.tuning.validNewTrials} valid) in ${(e.tuning.wallMs / 1000).toFixed(1)} s\n`,
    );
  } else if (e.type === 'run') {
    process.stderr.write(
      `ran tuned at ${formatPercent(e.run.tunedAtPercent)} on ${formatPercent(e.run.runAtPercent)}: median ${e.run.medianMs.toFixed(4)} ms\n`,
    );
  }
}

function render(r: SweepResult, report: string | undefined): string {
  const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4));
  const best = new Map(r.analysis.columns.map((c) => [c.runAtPercent, c.bestTunedAtPercent]));
  const rows = r.shares.map((tunedAt, t) => [
    `tuned at ${formatPercent(tunedAt)}`,
    ...r.shares.map((runAt, c) => {
      const marks = `${tunedAt === runAt ? '=' : ''}${best.get(runAt) === tunedAt ? '*' : ''}`;
      return `${ms(r.matrix.latencyMs[t]?.[c])} (p99 ${ms(r.p99Ms[t]?.[c])})${marks ? ` ${marks}` : ''}`;
    }),
  ]);
  return [
    `sweep ${r.runId}: ${r.model} on ${r.deviceName}${r.simulatedLabel ? ` [${r.simulatedLabel}]` : ''}`,
    `${r.trialsPerTask} trials per task at each share; ${r.runs} timed runs per pair; median latency, ms`,
    table([['', ...r.shares.map((s) => `run at ${formatPercent(s)}`)], ...rows]),
    '= tuned at the share it runs at;  * fastest at that run-at share',
    ...describeSweep(r.matrix, r.analysis),
    `model runs in ${r.db} (table model_runs, run ${r.runId})`,
    ...(report ? [`report: ${report}`] : []),
  ].join('\n');
}
