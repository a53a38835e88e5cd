/**
 * bench/compile: does a config's NVRTC time belong to the config or to the moment it was built?
 * The model strategy's configs compiled 7-10x slower than random ones in the H100 sweep, even
 * near-identical ones, and shared runs stall on 2-18 s compiles. This tunes ResNet-18 once (the
 * tuning records keep each config's compile time as it was during tuning), then compiles every
 * recorded config again: one at a time in this quiet process, then all at once on the builder's
 * worker processes. Same sources, three environments.
 * Usage: node bench/compile.js [--device cuda|sim] [--out DIR] [--trials 16] [--sharing green|baseline]
 *        [--strategy model|random] [--strategy-threads auto|on|off] [--gaps on] [--interference on]
 * `--interference on` also compiles a sample of the configs around the GPU's work
 * (bench/lib/compile-interference.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compiler } from '../src/gpu/backend.js';
import { type DeviceChoice, probeDevices } from '../src/gpu/device.js';
import type { DeviceInfo, KernelSource } from '../src/gpu/types.js';
import { extractTasks, loadModel } from '../src/graph/index.js';
import { Builder } from '../src/measure/builder.js';
import { COMPILE_TRACE_ENV, type CompileTraceLine, readCompileTrace } from '../src/measure/compile-trace.js';
import { RecordStore } from '../src/records/store.js';
import { planTuning } from '../src/sharing/planner.js';
import { tuneModel } from '../src/sharing/tune-model.js';
import { getTemplate, referenceKernel } from '../src/templates/index.js';
import { hashOf } from '../src/util/hash.js';
import { machineCpuTicks } from '../src/util/proc.js';
import { mean, quantile } from '../src/util/stats.js';
import { compileUnderGpuWork } from './lib/compile-interference.js';
import { hostCompiler } from './lib/host-compiler.js';
import { planInputs } from './lib/plan.js';
import { argValue, fmt, mdTable, runBenchmark } from './lib/report.js';

const device = argValue('device', 'cuda') as DeviceChoice;
const outDir = argValue('out', process.env.OUT ?? 'out');
const trials = Number(argValue('trials', '16'));
const mode = argValue('sharing', 'green');
const strategy = argValue('strategy', 'model');
const threadsArg = argValue('strategy-threads', 'auto');
const gapsArg = argValue('gaps', 'off');
const interferenceArg = argValue('interference', 'off');
const batch = 8;

const { tasks } = extractTasks(loadModel('resnet18'));
const probe = await probeDevices(device);
const card: DeviceInfo | undefined = probe.devices[0];
const out: string[] = [];
const json: Record<string, unknown> = { trials, mode, strategy, strategyThreads: threadsArg };
const scratch = mkdtempSync(join(tmpdir(), 'bench-compile-'));
// The tuning loop's compile workers (forked after this) trace where each compile's time went.
const traceDir = join(scratch, 'trace');
process.env[COMPILE_TRACE_ENV] = traceDir;

interface Sample {
  taskKey: string;
  /** Index of the trial within its task: the first batch is the model strategy's random start. */
  order: number;
  kernel: KernelSource;
  tuningMs: number;
  /** The binary built during tuning; the recompiles must give the same one. */
  tuningHash: string;
  quietHash?: string;
  quietMs?: number;
  parallelMs?: number;
}

async function tuneAndCollect(): Promise<Sample[]> {
  const store = RecordStore.open(join(scratch, 'records.db'));
  try {
    const base = planInputs(probe, 25, tasks.length, batch);
    const plan =
      mode === 'baseline'
        ? planTuning({ ...base, baseline: true })
        : planTuning({ ...base, overrides: { mechanism: 'green' } });
    const t = performance.now();
    await tuneModel({
      tasks,
      plan,
      device,
      store,
      runId: 'compile-probe',
      trialsPerTask: trials,
      strategy,
      ...(threadsArg === 'auto' ? {} : { strategyThreads: threadsArg === 'on' }),
      seed: 1,
      batchSize: batch,
    });
    json.tuneWallMs = performance.now() - t;
    delete process.env[COMPILE_TRACE_ENV]; // the recompiles below are not traced
    json.plan = plan;
    const samples: Sample[] = [];
    for (const task of tasks) {
      const template = getTemplate(task.template);
      const records = store
        .query({ taskKey: task.key })
        .sort((a, b) => a.timestamp - b.timestamp || a.configKey.localeCompare(b.configKey));
      records.forEach((r, order) => {
        if (!r.result.ok) return;
        samples.push({
          taskKey: task.key,
          order,
          kernel: template.generate(task.workload, r.config, card as DeviceInfo),
          tuningMs: r.result.compileMs,
          tuningHash: r.result.binaryHash,
        });
      });
    }
    return samples;
  } finally {
    store.close();
  }
}

async function quiet(compiler: Compiler, samples: Sample[]): Promise<void> {
  compiler.compile(samples[0]?.kernel as KernelSource); // load NVRTC outside the timings
  for (const s of samples) {
    const binary = compiler.compile(s.kernel);
    s.quietMs = binary.compileMs;
    s.quietHash = binary.hash;
  }
}

/** One compile after each idle gap: a worker waits between batches while the GPU measures. */
async function afterGaps(compiler: Compiler, samples: Sample[]): Promise<Record<string, number[]>> {
  const subset = samples.slice(-GAP_SAMPLES);
  const byGap: Record<string, number[]> = {};
  for (const gap of GAPS_MS) {
    byGap[gap] = [];
    for (const s of subset) {
      await new Promise((r) => setTimeout(r, gap));
      byGap[gap].push(compiler.compile(s.kernel).compileMs);
    }
  }
  return byGap;
}
const GAPS_MS = [0, 300, 1000];
const GAP_SAMPLES = 24;

async function parallel(samples: Sample[]): Promise<void> {
  const builder = new Builder({
    backend: device === 'sim' ? 'sim' : 'cuda',
    arch: card?.arch ?? 'sm_90',
    cacheEntries: 0,
  });
  try {
    const t = performance.now();
    const outcomes = await builder.build(samples.map((s) => s.kernel));
    json.parallelWallMs = performance.now() - t;
    json.parallelWorkers = builder.workers;
    outcomes.forEach((o, i) => {
      (samples[i] as Sample).parallelMs = o.ok ? o.binary.compileMs : o.compileMs;
    });
  } finally {
    await builder.close();
  }
}

/** A table with a row per non-empty group: its label, its size, then `cells` of its members. */
function groupTable<T>(
  header: string[],
  groups: [string, T[]][],
  cells: (xs: T[]) => (string | number)[],
): string {
  const rows = groups
    .filter(([, xs]) => xs.length > 0)
    .map(([label, xs]) => [label, xs.length, ...cells(xs)]);
  return mdTable([header, ...rows]);
}

const median = (xs: number[]) => fmt(quantile(xs, 0.5));

/** `mean / p50 / p90 / max` of compile times, for a table cell. */
function statsCell(xs: number[]): string {
  return `${fmt(mean(xs))} / ${fmt(quantile(xs, 0.5))} / ${fmt(quantile(xs, 0.9))} / ${fmt(Math.max(...xs))}`;
}

/**
 * Kernel memory counters that move when pages change hands: faults, page migrations by
 * compaction, pages freed (a VM with free page reporting hands freed pages back to the host,
 * which must back them again on the next touch).
 */
const VMSTAT_KEYS = [
  'pgfault',
  'pgfree',
  'pgmigrate_success',
  'compact_stall',
  'compact_migrate_scanned',
  'compact_daemon_wake',
  'thp_fault_alloc',
  'thp_collapse_alloc',
];
function vmstat(): Record<string, number> | undefined {
  try {
    const all = new Map(
      readFileSync('/proc/vmstat', 'utf8')
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    return Object.fromEntries(VMSTAT_KEYS.map((k) => [k, Number(all.get(k) ?? Number.NaN)]));
  } catch {
    return undefined;
  }
}
const memory: Record<string, Record<string, number>> = {};

/** Runs a phase and says how the machine's CPUs spent it: busy, idle and stolen by the host. */
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  const before = machineCpuTicks();
  const vmBefore = vmstat();
  const result = await run();
  const after = machineCpuTicks();
  const vmAfter = vmstat();
  if (vmBefore && vmAfter) {
    memory[name] = Object.fromEntries(VMSTAT_KEYS.map((k) => [k, (vmAfter[k] ?? 0) - (vmBefore[k] ?? 0)]));
  }
  if (before && after) {
    const d = {
      busy: after.busy - before.busy,
      idle: after.idle - before.idle,
      steal: after.steal - before.steal,
    };
    const total = Math.max(1, d.busy + d.idle + d.steal);
    cpu[name] = { busy: d.busy / total, steal: d.steal / total };
  }
  return result;
}
const cpu: Record<string, { busy: number; steal: number }> = {};

async function section(): Promise<void> {
  const samples = await phase('tuning', tuneAndCollect);
  const compiler = await hostCompiler(device, card?.arch ?? 'sm_90');
  await phase('alone', () => quiet(compiler, samples));
  await phase('all at once', () => parallel(samples));
  const gaps = gapsArg === 'on' ? await phase('gaps', () => afterGaps(compiler, samples)) : undefined;
  json.cpu = cpu;
  json.vmstat = memory;
  // The model strategy's first batch of a task is random (minTrials = the batch size).
  const groups: [string, Sample[]][] = [
    ['first batch of each task', samples.filter((s) => s.order < batch)],
    ['later batches', samples.filter((s) => s.order >= batch)],
    ['all', samples],
  ];
  const table = groupTable(
    [
      'configs',
      'n',
      'during tuning: mean / p50 / p90 / max ms',
      'alone, one at a time',
      `all at once on ${json.parallelWorkers} workers`,
      'tuning / alone (median per config)',
    ],
    groups,
    (group) => [
      statsCell(group.map((s) => s.tuningMs)),
      statsCell(group.map((s) => s.quietMs ?? 0)),
      statsCell(group.map((s) => s.parallelMs ?? 0)),
      median(group.map((s) => s.tuningMs / Math.max(1e-3, s.quietMs ?? 0))),
    ],
  );
  const same = samples.filter((s) => s.quietHash === s.tuningHash).length;
  out.push(
    `## ResNet-18, ${trials} trials per task, strategy ${strategy} (threads ${threadsArg}), ${mode === 'baseline' ? 'the baseline loop' : 'green 25% shared'} (tuned in ${fmt((json.tuneWallMs as number) / 1000)} s), every successful config compiled again`,
    '',
    table,
    '',
    `The recompiles gave the binary built during tuning for ${same} of ${samples.length} configs.`,
    `CPU time of the machine (busy / stolen by the host): ${Object.entries(cpu)
      .map(([name, c]) => `${name} ${fmt(100 * c.busy)}% / ${fmt(100 * c.steal)}%`)
      .join(', ')}.`,
    `Kernel memory counters per phase (/proc/vmstat deltas): ${Object.entries(memory)
      .map(
        ([name, m]) =>
          `${name}: ${Object.entries(m)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
      )
      .join('; ')}.`,
    '',
  );
  if (gaps) {
    json.gaps = gaps;
    out.push(
      `One at a time after an idle gap (the last ${GAP_SAMPLES} configs):`,
      '',
      mdTable([
        ['gap before each compile', 'compile ms mean / p50 / p90 / max'],
        ...Object.entries(gaps).map(([gap, xs]) => [`${gap} ms`, statsCell(xs)]),
      ]),
      '',
    );
  }
  traceSection(samples);
  if (interferenceArg === 'on') await interferenceSection(samples);
  json.samples = samples.map(({ kernel, ...s }) => ({ ...s, entry: kernel.entry }));
}

/** The same 32 configs (the later batches': slow in the loop) compiled around the GPU's work. */
async function interferenceSection(samples: Sample[]): Promise<void> {
  const later = samples.filter((s) => s.order >= batch);
  const picked = (later.length >= 32 ? later : samples)
    .filter((_, i, all) => i % Math.max(1, Math.floor(all.length / 32)) === 0)
    .slice(0, 32);
  const first = picked[0];
  if (!first) return;
  const task = tasks.find((t) => t.key === first.taskKey);
  if (!task) return;
  const byCondition = await phase('interference', () =>
    compileUnderGpuWork({
      device,
      kernel: first.kernel,
      reference: referenceKernel(task.workload),
      kernels: picked.map((s) => s.kernel),
    }),
  );
  json.interference = byCondition;
  out.push(
    `The same ${picked.length} configs compiled 8 at a time on worker processes, around the GPU's work (two rounds of each; bench/lib/compile-interference.ts):`,
    '',
    mdTable([
      ['condition', 'compile ms mean / p50 / p90 / max'],
      ...Object.entries(byCondition).map(([c, xs]) => [c, statsCell(xs)]),
    ]),
    '',
  );
}

/**
 * Where the tuning loop's compile time went, from the workers' traces: compiles as fast as the
 * same source alone against those at least 1.5x slower. CPU time that grows with the wall time
 * means more work (on the compiling thread or a helper), with the spin telling whether the CPU
 * itself ran slow; run-queue time means the guest's CPUs were taken; stolen time means the
 * hypervisor's were; the rest, blocked.
 */
function traceSection(samples: Sample[]): void {
  let lines: CompileTraceLine[];
  try {
    lines = readCompileTrace(traceDir);
  } catch {
    return; // no worker traced (the simulated compiler runs in threads of this process)
  }
  const aloneBySource = new Map(samples.map((s) => [hashOf(s.kernel.code), s.quietMs ?? 0]));
  const joined = lines.filter((l) => aloneBySource.has(l.source));
  const slow = (l: CompileTraceLine) => l.wallMs >= 1.5 * (aloneBySource.get(l.source) ?? 0);
  const groups: [string, CompileTraceLine[]][] = [
    ['as fast as alone (< 1.5x)', joined.filter((l) => !slow(l))],
    ['slow (>= 1.5x alone)', joined.filter(slow)],
  ];
  const avg = (xs: CompileTraceLine[], f: (l: CompileTraceLine) => number | undefined) =>
    fmt(mean(xs.map((l) => f(l) ?? 0)));
  const table = groupTable(
    [
      'compiles in the tuning loop',
      'n',
      'wall ms',
      'user + system ms (main thread)',
      'run queue ms',
      'minor faults',
      'major faults',
      'voluntary / involuntary switches',
      'machine steal ms',
      'idle before, p50 ms',
      'spin just before, p50 ms',
      'memory walk just before, p50 ns a step',
    ],
    groups,
    (xs) => [
      avg(xs, (l) => l.wallMs),
      `${avg(xs, (l) => l.userMs)} + ${avg(xs, (l) => l.systemMs)} (main thread ${avg(xs, (l) => l.mainThreadCpuMs)}, ${avg(xs, (l) => l.threads)} threads)`,
      avg(xs, (l) => l.runQueueMs),
      avg(xs, (l) => l.minorFaults),
      avg(xs, (l) => l.majorFaults),
      `${avg(xs, (l) => l.voluntarySwitches)} / ${avg(xs, (l) => l.involuntarySwitches)}`,
      avg(xs, (l) => l.machineStealMs),
      median(xs.map((l) => l.idleBeforeMs ?? 0)),
      median(xs.map((l) => l.spinMs)),
      median(xs.map((l) => l.chaseNsPerStep)),
    ],
  );
  json.trace = lines;
  out.push(
    `Where the tuning loop's compile time went (worker traces, means; ${joined.length} of ${lines.length} traced compiles joined to a config):`,
    '',
    table,
    '',
  );
}

try {
  await runBenchmark({
    name: 'compile',
    outDir,
    only: 'a',
    sections: { a: section },
    out,
    json,
    card: () => card,
    command: `node bench/compile.js --device ${device} --trials ${trials} --sharing ${mode} --strategy ${strategy} --strategy-threads ${threadsArg} --gaps ${gapsArg} --interference ${interferenceArg}`,
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
