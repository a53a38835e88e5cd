/** `slicetune run <model|file.onnx>`: a tuned model on a share of the GPU: latency, correctness, kernels. */
import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { type DeviceChoice, probeDevices } from '../../gpu/device.js';
import type { SliceMechanism } from '../../gpu/types.js';
import { formatPercent } from '../../records/share.js';
import { type RunReport, runModelOnSlice } from '../../runtime/index.js';
import { SlicetuneError } from '../../util/errors.js';
import {
  dbOption,
  deviceOption,
  inputSizeOption,
  jsonOption,
  parsePositiveInt,
  parseShare,
  seqLenOption,
} from '../options.js';
import { emit, table } from '../output.js';
import { defaultMechanism } from './tune-op.js';

interface RunOptions {
  share: number;
  sharing?: SliceMechanism;
  db: string;
  runs: number;
  warmup: number;
  seed: number;
  check: boolean;
  tensorCore?: boolean;
  inputSize?: number;
  seqLen?: number;
  device: DeviceChoice;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run a model with its tuned kernels on a share of the GPU: latency, correctness, kernels used',
    )
    .argument(
      '<model>',
      'a zoo model (resnet18, resnet50, mobilenet_v2, vgg16, bert_encoder) or a .onnx file',
    )
    .option('--share <percent>', 'share of the GPU to run on', parseShare, 100)
    .addOption(
      new Option(
        '--sharing <mechanism>',
        'slice mechanism (default: exclusive at 100%, else green, else mps)',
      ).choices(['exclusive', 'green', 'mps']),
    )
    .addOption(dbOption())
    .option('--runs <n>', 'timed runs (CUDA graph replays)', parsePositiveInt('--runs'), 200)
    .option('--warmup <n>', 'untimed runs before timing', parsePositiveInt('--warmup'), 20)
    .option('--seed <n>', 'seed of the random input', parsePositiveInt('--seed'), 1)
    .option('--no-check', 'do not compare the output with the references')
    .option('--tensor-core', 'allow TF32 tensor-core records (numerics differ from fp32)')
    .addOption(inputSizeOption())
    .addOption(seqLenOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (model: string, opts: RunOptions, command: Command) => {
      const notes: string[] = [];
      // A store that was never created is an untuned run, unless the user named it.
      let db: string | undefined = opts.db;
      if (command.getOptionValueSource('db') === 'default' && !existsSync(opts.db)) {
        notes.push(`no record store at ${opts.db}: every tunable node runs untuned`);
        db = undefined;
      }
      const mechanism =
        opts.sharing ??
        defaultMechanism(opts.share, (await probeDevices(opts.device)).mechanisms.green.supported);
      if (mechanism === 'exclusive' && opts.share < 100) {
        throw new SlicetuneError(
          'BAD_OPTION',
          `--sharing exclusive runs on the whole GPU; for --share ${opts.share} use --sharing green or mps`,
        );
      }
      const report = await runModelOnSlice({
        model,
        zoo: { inputSize: opts.inputSize, seqLen: opts.seqLen },
        db,
        percent: opts.share,
        mechanism,
        device: opts.device,
        runs: opts.runs,
        warmup: opts.warmup,
        seed: opts.seed,
        check: opts.check,
        allowTensorCores: opts.tensorCore,
      });
      report.notes.push(...notes);
      if (report.correctness.checked && !report.correctness.ok) {
        process.stderr.write('slicetune: the output does not match the reference (see correctness)\n');
        process.exitCode = 1;
      }
      emit(report, opts, () => render(report));
    });
}

const ms = (x: number) => x.toFixed(4);

function correctnessLine(r: RunReport): string {
  const c = r.correctness;
  if (!c.checked) return `correctness: ${c.reason}`;
  const parts = c.comparisons.map(
    (x) =>
      `${x.against} ${x.output}: scaled error ${x.scaledError.toExponential(2)}${x.nonFinite ? `, ${x.nonFinite} non-finite` : ''} ${x.ok ? 'ok' : 'FAILED'}`,
  );
  const missing = c.unavailable.map((u) => `${u.against} unavailable (${u.reason})`);
  return `correctness (tolerance ${c.tolerance}): ${c.ok ? 'OK' : 'FAILED'}; ${[...parts, ...missing].join('; ')}`;
}

function render(r: RunReport): string {
  const k = r.kernels;
  const shares = Object.entries(k.byTunedShare)
    .map(([p, n]) => `${n} at ${formatPercent(Number(p))}`)
    .join(', ');
  const rows = k.choices.map((c) => [
    c.node,
    c.template,
    c.tuned ? formatPercent(c.tunedPercent ?? 0) : 'untuned',
    c.recordMs === null ? '-' : ms(c.recordMs),
    c.workloadKey,
  ]);
  return [
    `${r.model} on ${r.device.name}${r.simulatedLabel ? ` [${r.simulatedLabel}]` : ''}`,
    `slice: ${r.slice.mechanism} ${formatPercent(r.share.percent)} -> ${r.slice.sms} of ${r.slice.totalSms} SMs`,
    `latency over ${r.latency.runs} runs (CUDA graph replays, ${r.latency.warmup} warm-up): median ${ms(r.latency.medianMs)} ms, p99 ${ms(r.latency.p99Ms)} ms (min ${ms(r.latency.minMs)}, max ${ms(r.latency.maxMs)})`,
    correctnessLine(r),
    `kernels: ${k.tunableNodes} tunable nodes, ${k.tuned} tuned${shares ? ` (${shares})` : ''}, ${k.untuned} untuned; ` +
      `${k.fixedLaunches} fixed-kernel launches, ${k.aliasNodes} alias nodes; ${k.launches} launches, ${k.uniqueKernels} distinct kernels`,
    table([['node', 'template', 'tuned at', 'record ms', 'workload'], ...rows]),
    ...r.notes.map((n) => `note: ${n}`),
  ].join('\n');
}
