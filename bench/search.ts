/**
 * bench/search: how many trials each strategy needs (issue 4). For three ResNet-18 conv
 * workloads at 100% and at 25% of the GPU, the trials each strategy needs to come within 5% of
 * the best latency any run found, over several seeds; at 25% also the model strategy warm-started
 * from the 100% records (transfer). Identical binaries are measured once per session, so runs
 * that propose the same config share its measurement.
 * Usage: node bench/search.js [--device cuda|sim] [--out DIR] [--trials 150] [--seeds 3] [--parallel 4]
 */
import { randomUUID } from 'node:crypto';
import type { DeviceChoice } from '../src/gpu/device.js';
import type { SliceMechanism } from '../src/gpu/types.js';
import { MeasureSession } from '../src/measure/session.js';
import { DEFAULT_MEASURE_OPTIONS } from '../src/measure/types.js';
import { RESNET18_WORKLOADS } from '../src/ops/index.js';
import { RecordStore } from '../src/records/store.js';
import type { TuningRecord } from '../src/records/types.js';
import { tuneTask } from '../src/sharing/task-tuner.js';
import { makeTask } from '../src/templates/index.js';
import { mean } from '../src/util/stats.js';
import { argValue, cardLine, fmt, mdTable, today, writeOut } from './lib/report.js';

const device = argValue('device', 'cuda') as DeviceChoice;
const outDir = argValue('out', process.env.OUT ?? 'out');
const trials = Number(argValue('trials', '150'));
const seeds = Number(argValue('seeds', '3'));
const names = argValue('workloads', 'layer1.x.conv1,layer2.1.conv1,layer3.x.conv2').split(',');
const strategies = ['random', 'ga', 'model'] as const;
/** Tuning runs in flight at once (they share one measurement server, so timings stay alone). */
const parallelRuns = Number(argValue('parallel', '4'));
const measureOptions = { ...DEFAULT_MEASURE_OPTIONS, warmup: 2, number: 10, repeat: 3 };

interface Run {
  workload: string;
  share: number;
  strategy: string;
  seed: number;
  curve: number[]; // best-so-far latency after each trial
}

async function session(share: number): Promise<MeasureSession> {
  const mechanism: SliceMechanism = share === 100 ? 'exclusive' : 'mps';
  return MeasureSession.open({
    device,
    mechanism,
    slices: 1,
    percent: share,
    backendOptions: { timeScale: 0.05 },
  });
}

async function runOne(
  s: MeasureSession,
  store: RecordStore,
  name: string,
  share: number,
  strategy: string,
  seed: number,
  transfer: boolean,
): Promise<Run> {
  const mw = RESNET18_WORKLOADS.find((m) => m.name === name);
  if (!mw) throw new Error(`no ResNet-18 workload ${name}`);
  const task = makeTask(mw.workload, 'conv2d_igemm');
  const r = await tuneTask({
    task,
    session: s,
    store,
    runId: randomUUID(),
    strategy,
    trials,
    batchSize: 16,
    seed,
    measureOptions,
    percent: share,
    transfer,
  });
  let best = Number.POSITIVE_INFINITY;
  const curve = r.newTrials.map((t) => (best = Math.min(best, t.cost)));
  return { workload: name, share, strategy: transfer ? `${strategy}+transfer` : strategy, seed, curve };
}

/** First trial (1-based) whose best-so-far is within 5% of `target`; undefined if never. */
function trialsToWithin(curve: number[], target: number): number | undefined {
  const i = curve.findIndex((c) => c <= target * 1.05);
  return i < 0 ? undefined : i + 1;
}

const runs: Run[] = [];
/** Each seed's 100% model-strategy records: the transfer source at 25%. */
const hundred = new Map<string, TuningRecord[]>();
let card: MeasureSession['device'] | undefined;
/** Runs jobs with at most `limit` in flight: runs share the compile pool and the GPU server. */
async function inParallel(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) await (jobs[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
}

for (const share of [100, 25]) {
  const s = await session(share);
  card ??= s.device;
  try {
    const jobs: (() => Promise<void>)[] = [];
    for (const name of names) {
      for (let seed = 1; seed <= seeds; seed++) {
        for (const strategy of strategies) {
          jobs.push(async () => {
            // A fresh store per run: every run starts cold, none resumes another's records.
            const store = RecordStore.open(':memory:');
            runs.push(await runOne(s, store, name, share, strategy, seed, false));
            if (share === 100 && strategy === 'model') hundred.set(`${name}|${seed}`, store.query({}));
            store.close();
          });
        }
        if (share === 25) {
          jobs.push(async () => {
            const store = RecordStore.open(':memory:');
            store.add(hundred.get(`${name}|${seed}`) ?? []);
            runs.push(await runOne(s, store, name, share, 'model', seed, true));
            store.close();
          });
        }
      }
    }
    const t = performance.now();
    await inParallel(jobs, parallelRuns);
    process.stderr.write(
      `search @${share}%: ${jobs.length} runs in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
  } finally {
    await s.close();
  }
}

const rows: (string | number)[][] = [
  ['workload', 'share %', 'best ms', ...strategies, 'model+transfer', 'model / random'],
];
const summary: unknown[] = [];
for (const share of [100, 25]) {
  for (const name of names) {
    const mine = runs.filter((r) => r.workload === name && r.share === share);
    const best = Math.min(...mine.flatMap((r) => r.curve));
    const per = (strategy: string) => {
      const t = mine
        .filter((r) => r.strategy === strategy)
        .map((r) => trialsToWithin(r.curve, best) ?? trials + 1);
      return t.length ? mean(t) : Number.NaN;
    };
    const cells = [...strategies, 'model+transfer'].map(per);
    rows.push([
      name,
      share,
      fmt(best),
      ...cells.map((c) => (Number.isNaN(c) ? '-' : fmt(c))),
      fmt((cells[2] as number) / (cells[0] as number)),
    ]);
    summary.push({
      workload: name,
      share,
      best,
      trials: Object.fromEntries([...strategies, 'model+transfer'].map((s, i) => [s, cells[i]])),
    });
  }
}
const text = [
  '# bench/search',
  '',
  `Card: ${card ? cardLine(card) : 'unknown'}. Date: ${today()}.`,
  `Command: \`node bench/search.js --trials ${trials} --seeds ${seeds}\` in the staged tree (see bench/README.md).`,
  '',
  `Mean trials (over ${seeds} seeds) to come within 5% of the best latency any run found for that workload and share; a run that never got there counts ${trials + 1}. Template conv2d_igemm; 100%: exclusive, 25%: an MPS client at 25%.`,
  '',
  mdTable(rows),
  '',
].join('\n');
writeOut(`${outDir}/bench-search.md`, text);
writeOut(
  `${outDir}/bench-search.json`,
  JSON.stringify({ card, date: today(), trials, seeds, summary, runs }, null, 2),
);
process.stdout.write(`${text}\n`, () => process.exit(0));
