/**
 * `slicetune records list|best|runs|export|import`: the tuning database from the shell.
 * The store is --db FILE, else $SLICETUNE_DB, else ./slicetune.db; commands that only read refuse
 * a missing file rather than create an empty one.
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { SLICE_MECHANISMS, type SliceMechanism } from '../../gpu/types.js';
import { exportJsonl, importJsonl } from '../../records/jsonl.js';
import type { BestAnswer, RecordFilter } from '../../records/query.js';
import { formatPercent } from '../../records/share.js';
import { RecordStore } from '../../records/store.js';
import type { TuningRecord } from '../../records/types.js';
import { SlicetuneError } from '../../util/errors.js';
import { emit, table } from '../output.js';

interface DbOptions {
  db?: string;
}
interface FilterOptions extends DbOptions {
  task?: string;
  workload?: string;
  template?: string;
  share?: number;
  mechanism?: SliceMechanism;
  device?: string;
  run?: string;
  ok?: boolean;
  limit?: number;
}
interface JsonOption {
  json?: boolean;
}

export function register(program: Command): void {
  const records = program
    .command('records')
    .description('The tuning database: list, best, runs, export, import');

  withFilters(records.command('list').description('List measurements, oldest first'))
    .option('--json', 'print JSON')
    .action((o: FilterOptions & JsonOption) => withStore(o, true, (s) => printList(s.query(filterOf(o)), o)));

  withDb(records.command('best').description('The fastest config of a workload at a share of the GPU'))
    .argument('<workloadKey>', 'workload key (as in `records list`)')
    .requiredOption('--share <percent>', 'share of the GPU, percent', parseShare)
    .addOption(mechanismOption())
    .option('--device <name>', 'device name')
    .option('--json', 'print JSON')
    .action((workloadKey: string, o: FilterOptions & JsonOption & { share: number }) =>
      withStore(o, true, (store) => {
        const answer = store.best(workloadKey, {
          percent: o.share,
          mechanism: o.mechanism,
          deviceName: o.device,
        });
        if (!answer) {
          throw new SlicetuneError('NOT_FOUND', `no successful record of ${workloadKey} in ${store.path}`);
        }
        emit(answer, o, () => renderBest(answer));
      }),
    );

  withDb(records.command('runs').description('Tuning runs: status, start, end, records'))
    .option('--json', 'print JSON')
    .action((o: DbOptions & JsonOption) =>
      withStore(o, true, (store) => {
        const runs = store.listRuns();
        emit(runs, o, () =>
          table([
            ['run', 'status', 'started', 'finished', 'records'],
            ...runs.map((r) => [
              r.runId,
              r.status,
              iso(r.started),
              r.finished ? iso(r.finished) : '-',
              r.records,
            ]),
          ]),
        );
      }),
    );

  withFilters(records.command('export').description('Write records as JSON lines (stdout unless --out)'))
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--json', 'print the summary as JSON (with --out)')
    .action((o: FilterOptions & JsonOption & { out?: string }) =>
      withStore(o, true, async (store) => {
        if (o.out === undefined) {
          await exportJsonl(store, filterOf(o), process.stdout);
          return;
        }
        const exported = await exportJsonl(store, filterOf(o), o.out);
        emit({ exported, file: o.out }, o, () => `exported ${exported} records to ${o.out}`);
      }),
    );

  withDb(records.command('import').description('Add the records of a JSON-lines file (all or nothing)'))
    .argument('<file>', 'JSON-lines file, one record per line')
    .option('--json', 'print JSON')
    .action((file: string, o: DbOptions & JsonOption) =>
      withStore(o, false, (store) => {
        const summary = importJsonl(store, file);
        emit(
          summary,
          o,
          () =>
            `read ${summary.read} records from ${file}: ${summary.inserted} added, ` +
            `${summary.duplicates} already in ${store.path}`,
        );
      }),
    );
}

function withDb(command: Command): Command {
  return command.option('--db <file>', 'record store (default: $SLICETUNE_DB, else ./slicetune.db)');
}

function withFilters(command: Command): Command {
  return withDb(command)
    .option('--task <key>', 'task key')
    .option('--workload <key>', 'workload key')
    .option('--template <name>', 'template name')
    .option('--share <percent>', 'share of the GPU, percent', parseShare)
    .addOption(mechanismOption())
    .option('--device <name>', 'device name')
    .option('--run <id>', 'tuning run id')
    .option('--ok', 'successful measurements only')
    .option('--limit <n>', 'at most this many records', parseLimit);
}

function mechanismOption(): Option {
  return new Option('--mechanism <m>', 'slice mechanism').choices(SLICE_MECHANISMS);
}

function filterOf(o: FilterOptions): RecordFilter {
  return {
    taskKey: o.task,
    workloadKey: o.workload,
    template: o.template,
    percent: o.share,
    mechanism: o.mechanism,
    deviceName: o.device,
    runId: o.run,
    okOnly: o.ok,
    limit: o.limit,
  };
}

async function withStore(o: DbOptions, mustExist: boolean, use: (s: RecordStore) => unknown): Promise<void> {
  const store = RecordStore.open(resolve(o.db ?? process.env.SLICETUNE_DB ?? 'slicetune.db'), { mustExist });
  try {
    await use(store);
  } finally {
    store.close();
  }
}

function parseShare(value: string): number {
  const percent = Number(value);
  if (value.trim() === '' || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new SlicetuneError('BAD_OPTION', `--share must be a percent in (0, 100], got "${value}"`);
  }
  return percent;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SlicetuneError('BAD_OPTION', `--limit must be a positive integer, got "${value}"`);
  }
  return limit;
}

function printList(records: TuningRecord[], o: JsonOption): void {
  emit(records, o, () =>
    [
      table([
        ['time', 'task', 'config', 'slice', 'result', 'device'],
        ...records.map((r) => [
          iso(r.timestamp),
          r.taskKey,
          r.configKey,
          sliceText(r),
          resultText(r),
          deviceText(r),
        ]),
      ]),
      `${records.length} records`,
    ].join('\n'),
  );
}

function renderBest(answer: BestAnswer): string {
  const r = answer.record;
  const lines = table([
    ['field', 'value'],
    ['workload', r.workloadKey],
    ['template', r.template],
    ['config', `${r.configKey} ${JSON.stringify(r.config)}`],
    ['latency', resultText(r)],
    ['slice', sliceText(r)],
    ['device', deviceText(r)],
    ['run', `${r.runId} at ${iso(r.timestamp)}`],
  ]);
  return answer.exact ? lines : `${lines}\nnote: ${answer.note}`;
}

function sliceText(r: TuningRecord): string {
  return `${r.slice.mechanism} ${formatPercent(r.slice.percent)} (${r.slice.sms} SMs)`;
}

function resultText(r: TuningRecord): string {
  if (r.result.ok) return `${r.result.medianMs.toPrecision(4)} ms`;
  // Compile logs run to many lines; the table shows the first, --json has all of it.
  const firstLine = r.result.message.split('\n', 1)[0] ?? '';
  return `${r.result.kind}: ${firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine}`;
}

function deviceText(r: TuningRecord): string {
  return r.provenance.simulated ? `${r.provenance.deviceName} [simulated]` : r.provenance.deviceName;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
