/**
 * bench/search: how many trials each strategy needs (issue 4). For three ResNet-18 conv
 * workloads at 100% and at 25% of the GPU, the trials each strategy needs to come within 5% of
 * the best latency any run found, over several seeds; at 25% also the model strategy warm-started
 * from the 100% records (transfer). Identical binaries are measured once per session, so runs
 * that propose the same config share its measurement.
 *
 * Random search gets a larger budget than the others (`--random-trials`, default 3x `--trials`):
 * on these spaces it rarely gets within 5% in a few hundred trials, and a count cut off at the
 * same budget as the model's would say nothing about how many it needs. A run that never gets
 * there counts budget + 1, a lower bound: so "model / random" is an upper bound whenever random
 * was cut off, and it is stated only when every model run got there within its budget.
 * Usage: node bench/search.js [--device cuda|sim] [--out DIR] [--trials 300] [--random-trials 900]
 *        [--seeds 3] [--parallel 6] [--cap-s 540]; or --from OUT/bench-search.json to re-render a run's report
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DeviceChoice } from '../src/gpu/device.js';
import type { SliceMechanism } from '../src/gpu/types.js';
import { MeasureSession } from '../src/measure/session.js';
import { DEFAULT_MEASURE_OPTIONS } from '../src/measure/types.js';
import { RESNET18_WORKLOADS } from '../src/ops/index.js';
import { RecordStore } from '../src/records/store.js';
import type { TuningRecord } from '../src/records/types.js';
import { tuneTask } from '../src/sharing/task-tuner.js';
import { makeTask } from '../src/templates/index.js';
import { mean, median } from '../src/util/stats.js';
import { argValue, cardLine, fmt, mdTable, today, writeOut } from './lib/report.js';

const device = argValue('device', 'cuda') as DeviceChoice;
const outDir = argValue('out', process.env.OUT ?? 'out');
/** --from FILE: re-render the report from a run's saved JSON (same statistics, no measuring). */
const from = argValue('from', '');
const saved = from ? (JSON.parse(readFileSync(from, 'utf8')) as SavedRun) : undefined;
const trials = saved?.trials ?? Number(argValue('trials', '300'));
const randomTrials = saved?.randomTrials ?? Number(argValue('random-trials', String(3 * trials)));
const seeds = saved?.seeds ?? Number(argValue('seeds', '3'));
const names = argValue('workloads', 'layer1.x.conv1,layer2.1.conv1,layer3.x.conv2').split(',');
const strategies = ['random', 'ga', 'model'] as const;
const columns = [...strategies, 'model+transfer'] as const;
/** Tuning runs in flight at once (they share one measurement server, so timings stay alone). */
const parallelRuns = Number(argValue('parallel', '6'));
/** No run starts after this many seconds: the benchmark fits one device call and keeps what it did. */
const capS = Number(argValue('cap-s', '540'));
const measureOptions = { ...DEFAULT_MEASURE_OPTIONS, warmup: 2, number: 10, repeat: 3 };
const budgetOf = (strategy: string) => (strategy === 'random' ? randomTrials : trials);

interface SavedRun {
  card: MeasureSession['device'];
  date: string;
  trials: number;
  randomTrials: number;
  seeds: number;
  notes?: string[];
  runs: Run[];
}

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
    trials: budgetOf(strategy),
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

/** Runs jobs with at most `limit` in flight; none starts once `stopAt` (ms, performance.now) passed. */
async function inParallel(jobs: (() => Promise<void>)[], limit: number, stopAt: number): Promise<number> {
  let next = 0;
  let skipped = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as () => Promise<void>;
      if (performance.now() >= stopAt) skipped++;
      else await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
  return skipped;
}

const runs: Run[] = [];
/** Each seed's 100% model-strategy records: the transfer source at 25%. */
const hundred = new Map<string, TuningRecord[]>();
let card: MeasureSession['device'] | undefined;
const stopAt = performance.now() + capS * 1000;
const notes: string[] = [];

/**
 * One strategy's cell over the seeds: the mean (a lower bound when a run was cut off by its
 * budget) and the median, which is exact while fewer than half the runs were cut off, and else
 * only known to exceed the budget (undefined).
 */
interface Cell {
  runs: number;
  mean: number;
  median: number | undefined;
  budget: number;
  censored: number;
}

function cellOf(mine: readonly Run[], strategy: string, best: number): Cell | undefined {
  const budget = budgetOf(strategy.startsWith('model') ? 'model' : strategy);
  const counts = mine.filter((r) => r.strategy === strategy).map((r) => trialsToWithin(r.curve, best));
  if (counts.length === 0) return undefined;
  const filled = counts.map((c) => c ?? budget + 1);
  const censored = counts.filter((c) => c === undefined).length;
  return {
    runs: counts.length,
    mean: mean(filled),
    median: censored < counts.length / 2 ? median(filled) : undefined,
    budget,
    censored,
  };
}

const show = (c: Cell | undefined) => {
  if (!c) return '-';
  const m = c.median === undefined ? `> ${c.budget}` : fmt(c.median);
  return `${c.censored > 0 ? '>= ' : ''}${fmt(c.mean)} (${m})`;
};

/**
 * One cell's trials over another's (model / random, transfer / model), of the means and of the
 * medians: exact when neither was cut off, an upper bound ("<=") when only the denominator was,
 * unknown when the numerator was (its mean) or its median is beyond its budget.
 */
function boundedRatio(num: Cell | undefined, den: Cell | undefined): { text: string; value?: number } {
  if (!num || !den) return { text: '-' };
  const ofMeans =
    num.censored > 0 ? 'unknown' : `${den.censored > 0 ? '<= ' : ''}${fmt(num.mean / den.mean)}`;
  const ofMedians =
    num.median === undefined
      ? 'unknown'
      : `${den.median === undefined ? '<= ' : ''}${fmt(num.median / (den.median ?? den.budget + 1))}`;
  const value = num.censored > 0 ? undefined : num.mean / den.mean;
  return { text: `${ofMeans} (${ofMedians})`, ...(value === undefined ? {} : { value }) };
}

function report(): void {
  const rows: (string | number)[][] = [
    ['workload', 'share %', 'best ms', ...columns, 'model / random', 'transfer / model'],
  ];
  const summary: unknown[] = [];
  for (const share of [100, 25]) {
    for (const name of names) {
      const mine = runs.filter((r) => r.workload === name && r.share === share);
      if (mine.length === 0) continue;
      const best = Math.min(...mine.flatMap((r) => r.curve));
      const cells = Object.fromEntries(columns.map((c) => [c, cellOf(mine, c, best)]));
      const vsRandom = boundedRatio(cells.model, cells.random);
      const vsModel = boundedRatio(cells['model+transfer'], cells.model);
      rows.push([name, share, fmt(best), ...columns.map((c) => show(cells[c])), vsRandom.text, vsModel.text]);
      summary.push({ workload: name, share, best, cells, modelOverRandom: vsRandom.value });
    }
  }
  const text = [
    '# bench/search',
    '',
    `Card: ${card ? cardLine(card) : 'unknown'}. Date: ${saved?.date ?? today()}.`,
    saved
      ? `Re-rendered by \`node bench/search.js --from ${from}\` from that run's raw trials.`
      : `Command: \`node bench/search.js --trials ${trials} --random-trials ${randomTrials} --seeds ${seeds} --parallel ${parallelRuns} --cap-s ${capS}\` in the staged tree (see bench/README.md).`,
    '',
    `Mean (median) trials over ${seeds} seeds to come within 5% of the best latency any run found for that workload and share. Budgets: random ${randomTrials} trials, ga and model ${trials}; a run that never got there counts budget + 1 and its mean reads ">=" (a lower bound); a median is "> budget" when half the runs or more never got there. "model / random" is "<=" (an upper bound) when random was cut off, and unknown when a model run was (means) or the model's median is unknown (medians). Template conv2d_igemm, batch 16; 100%: exclusive, 25%: an MPS client at 25%.`,
    '',
    mdTable(rows),
    '',
    ...notes,
  ].join('\n');
  writeOut(`${outDir}/bench-search.md`, text);
  writeOut(
    `${outDir}/bench-search.json`,
    JSON.stringify(
      { card, date: saved?.date ?? today(), trials, randomTrials, seeds, notes, summary, runs },
      null,
      2,
    ),
  );
}

if (saved) {
  card = saved.card;
  runs.push(...saved.runs);
  notes.push(...(saved.notes ?? []));
}
for (const share of saved ? [] : [100, 25]) {
  const s = await session(share);
  card ??= s.device;
  try {
    const jobs: (() => Promise<void>)[] = [];
    for (const name of names) {
      for (let seed = 1; seed <= seeds; seed++) {
        for (const strategy of strategies) {
          // Random's long runs first, so they do not trail behind the others at the end.
          const add = (job: () => Promise<void>) =>
            strategy === 'random' ? jobs.unshift(job) : jobs.push(job);
          add(async () => {
            // A fresh store per run: every run starts cold, none resumes another's records.
            const store = RecordStore.open(':memory:');
            runs.push(await runOne(s, store, name, share, strategy, seed, false));
            if (share === 100 && strategy === 'model') hundred.set(`${name}|${seed}`, store.query({}));
            store.close();
          });
        }
        const source = hundred.get(`${name}|${seed}`);
        if (share === 25 && source) {
          jobs.push(async () => {
            const store = RecordStore.open(':memory:');
            store.add(source);
            runs.push(await runOne(s, store, name, share, 'model', seed, true));
            store.close();
          });
        }
      }
    }
    const t = performance.now();
    const skipped = await inParallel(jobs, parallelRuns, stopAt);
    const line = `search @${share}%: ${jobs.length - skipped} runs in ${((performance.now() - t) / 1000).toFixed(1)} s${skipped ? `, ${skipped} not started (--cap-s ${capS})` : ''}`;
    process.stderr.write(`${line}\n`);
    notes.push(`- ${line}`);
  } finally {
    await s.close();
  }
  report();
}

report();
process.stdout.write(`${readFileSync(`${outDir}/bench-search.md`, 'utf8')}\n`, () => process.exit(0));
