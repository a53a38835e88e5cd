/** `slicetune tune-op <op> <shape>`: tune one operator for a share of the GPU. */
import { randomUUID } from 'node:crypto';
import { type Command, Option } from 'commander';
import { type DeviceChoice, probeDevices } from '../../gpu/device.js';
import type { SliceMechanism } from '../../gpu/types.js';
import { MeasureSession } from '../../measure/session.js';
import { MEASURE_PROTOCOLS, type MeasureProtocol } from '../../measure/types.js';
import { parseWorkload, workloadFlops } from '../../ops/index.js';
import { RecordStore } from '../../records/store.js';
import { STRATEGY_NAMES } from '../../search/strategies/index.js';
import { tuneTask } from '../../sharing/task-tuner.js';
import { makeTask, templatesFor } from '../../templates/index.js';
import { SlicetuneError } from '../../util/errors.js';
import {
  dbOption,
  deviceOption,
  jsonOption,
  measureOption,
  parsePositiveInt,
  parseShare,
} from '../options.js';
import { emit, table } from '../output.js';
import { TaskProgress } from '../progress.js';

interface TuneOpOptions {
  share: number;
  sharing?: SliceMechanism;
  servers: number;
  strategy: string;
  trials: number;
  batch: number;
  db: string;
  device: DeviceChoice;
  seed: number;
  measure: MeasureProtocol;
  template?: string[];
  transfer: boolean;
  tensorCore?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('tune-op')
    .description(
      'tune one operator (e.g. conv2d n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1) for a share of the GPU',
    )
    .argument('<op>', 'conv2d | depthwise_conv2d | dense | batch_matmul')
    .argument('<shape...>', 'key=value pairs, see the README')
    .option('--share <percent>', 'share of the GPU to tune for', parseShare, 100)
    .addOption(
      new Option(
        '--sharing <mechanism>',
        'slice mechanism (default: exclusive at 100%, else green, else mps)',
      ).choices(['exclusive', 'green', 'mps', 'timeslice']),
    )
    .option(
      '--servers <n>',
      'measurement servers (slices) to measure on at once',
      parsePositiveInt('--servers'),
      1,
    )
    .addOption(new Option('--strategy <name>', 'search strategy').choices(STRATEGY_NAMES).default('model'))
    .option('--trials <n>', 'measurements per template', parsePositiveInt('--trials'), 64)
    .option('--batch <n>', 'configs per measured batch', parsePositiveInt('--batch'), 16)
    .option('--template <name...>', 'templates to tune (default: every one that applies)')
    .option('--tensor-core', 'include TF32 tensor-core templates (numerics differ from fp32)')
    .option('--no-transfer', 'do not start the cost model from other shares and similar workloads')
    .option('--seed <n>', 'random seed', parsePositiveInt('--seed'), 1)
    .addOption(measureOption())
    .addOption(dbOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (op: string, shapeParts: string[], opts: TuneOpOptions) => {
      const workload = parseWorkload(op, shapeParts.join(','));
      const templates = templatesFor(workload, { tensorCore: opts.tensorCore }).filter(
        (t) => !opts.template || opts.template.includes(t.name),
      );
      if (templates.length === 0) {
        throw new SlicetuneError(
          'BAD_OPTION',
          `no template named ${opts.template?.join(', ')} applies to ${op}`,
        );
      }
      const probe = await probeDevices(opts.device);
      const mechanism = opts.sharing ?? defaultMechanism(opts.share, probe.mechanisms.green.supported);
      const store = RecordStore.open(opts.db);
      const session = await MeasureSession.open({
        device: opts.device,
        mechanism,
        slices: opts.servers,
        percent: opts.share,
      });
      const runId = randomUUID();
      store.startRun(runId, { command: 'tune-op', op, shape: shapeParts.join(','), ...opts });
      const label = session.device.simulated ? ' [SIMULATED GPU: analytical model, not a measurement]' : '';
      if (!opts.json) process.stderr.write(`${session.backendReason}\n`);
      const flops = workloadFlops(workload);
      const progress = opts.json ? undefined : new TaskProgress(flops);
      const rows: (string | number)[][] = [];
      const results: unknown[] = [];
      try {
        for (const template of templates) {
          const task = makeTask(workload, template.name);
          const bar = progress?.add(template.name, opts.trials);
          const r = await tuneTask({
            task,
            session,
            store,
            runId,
            strategy: opts.strategy,
            trials: opts.trials,
            batchSize: opts.batch,
            seed: opts.seed,
            measureOptions: MEASURE_PROTOCOLS[opts.measure],
            percent: opts.share,
            transfer: opts.transfer,
            onProgress: (p) => bar?.update(p),
          });
          const best = r.best?.cost ?? Number.POSITIVE_INFINITY;
          const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
          rows.push([
            template.name,
            r.trialsUsed,
            r.trials.length,
            fmtMs(best),
            gflops(flops, best),
            errors,
            r.stopReason,
          ]);
          results.push({
            template: template.name,
            taskKey: task.key,
            best: r.best,
            trialsUsed: r.trialsUsed,
            known: r.trials.length,
            errors: r.errors,
            stopReason: r.stopReason,
            slice: r.slice,
            transferPoints: r.priorPoints,
          });
        }
        store.finishRun(runId, 'finished');
      } catch (e) {
        store.finishRun(runId, 'failed');
        throw e;
      } finally {
        progress?.stop();
        await session.close();
        store.close();
      }
      const slice = session.pool.servers[0]?.slice;
      emit(
        { runId, workload, device: session.device, slice, simulated: session.device.simulated, results },
        opts,
        () =>
          [
            `${op} ${shapeParts.join(',')} on ${session.device.name}${label}`,
            `slice: ${mechanism} ${opts.share}% -> ${slice?.sms} of ${slice?.totalSms} SMs, ${opts.servers} server(s); records in ${opts.db} (run ${runId})`,
            table([['template', 'new trials', 'known', 'best ms', 'GFLOP/s', 'errors', 'stopped'], ...rows]),
          ].join('\n'),
      );
    });
}

export function defaultMechanism(share: number, greenSupported: boolean): SliceMechanism {
  if (share >= 100) return 'exclusive';
  return greenSupported ? 'green' : 'mps';
}

const fmtMs = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(4) : 'none');
const gflops = (flops: number, ms: number) => (Number.isFinite(ms) ? (flops / ms / 1e6).toFixed(0) : '-');
