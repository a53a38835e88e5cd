/**
 * bench/slices: the engine on GPU slices (issue 2).
 *   a) a compute-bound kernel's time against its slice's SMs (green, mps at 100/50/25/10%)
 *   b) four 25% slices running together vs one alone (green, mps, timeslice)
 *   c) a batch of 50 correct kernels + one illegal-address + one endless kernel (green, mps)
 *   d) compile throughput with 1, 4 and 16 compile workers
 *   e) device memory after 10 and after 1,000 measured configs
 * Usage: node dist-bench/bench/slices.js [--device cuda|sim] [--out DIR]
 */
import { availableParallelism } from 'node:os';
import { type DeviceChoice, probeDevices, resolveBackend } from '../src/gpu/device.js';
import type { DeviceInfo, SliceMechanism } from '../src/gpu/types.js';
import { Builder } from '../src/measure/builder.js';
import { MeasureSession, type Prepared } from '../src/measure/session.js';
import { DEFAULT_MEASURE_OPTIONS, type MeasureInput, type MeasureOptions } from '../src/measure/types.js';
import { median } from '../src/util/stats.js';
import { type FmaShape, faultKernel, fmaReference, fmaVariant, hangKernel } from './lib/kernels.js';
import { argValue, fmt, mdTable, runBenchmark } from './lib/report.js';

const device = argValue('device', 'cuda') as DeviceChoice;
const outDir = argValue('out', process.env.OUT ?? 'out');
const sections = argValue('only', 'abcde');
// ~1 ms per launch on a whole H100: 2640 blocks of 256 threads, 8 chains of 16k FMAs each.
const big: FmaShape = { elements: 2640 * 256, iters: 16384 };
const small: FmaShape = { elements: 64 * 1024, iters: 256 };
const input = (shape: FmaShape, variant: number, id = `v${variant}`): MeasureInput => ({
  id,
  kernel: fmaVariant(shape, variant),
  reference: fmaReference(shape),
});
const opts = (o: Partial<MeasureOptions>): MeasureOptions => ({ ...DEFAULT_MEASURE_OPTIONS, ...o });
const sim = { timeScale: 1, seed: 1 };
const out: string[] = [];
const json: Record<string, unknown> = {};
let card: DeviceInfo | undefined;

async function open(mechanism: SliceMechanism, slices: number, percent: number): Promise<MeasureSession> {
  const s = await MeasureSession.open({ device, mechanism, slices, percent, backendOptions: sim });
  card ??= s.device;
  return s;
}

async function sectionA(): Promise<void> {
  const rows: (string | number)[][] = [
    ['mechanism', 'share %', 'SMs granted', 'median ms', 'x vs 100%', 'ideal x (SMs)'],
  ];
  const data: unknown[] = [];
  for (const mechanism of ['green', 'mps'] as const) {
    let full = 0;
    let fullSms = 0;
    for (const percent of [100, 50, 25, 10]) {
      const s = await open(mechanism, 1, percent);
      try {
        const [m] = await s.measure(
          [input(big, 2)],
          opts({ warmup: 3, number: 3, repeat: 7, timeoutMs: 5000 }),
        );
        const ms = m?.result.ok ? m.result.medianMs : Number.NaN;
        const sms = m?.slice.sms ?? 0;
        if (percent === 100) [full, fullSms] = [ms, sms];
        rows.push([mechanism, percent, sms, fmt(ms), fmt(ms / full), fmt(fullSms / sms)]);
        data.push({ mechanism, percent, sms, ms });
      } finally {
        await s.close();
      }
    }
  }
  json.a = data;
  out.push('## a) compute-bound kernel time against the slice', '', mdTable(rows), '');
}

async function sectionB(): Promise<void> {
  const rows: (string | number)[][] = [
    [
      'mechanism',
      'SMs per slice',
      'one alone: wall ms',
      'four together: wall ms',
      'together / alone',
      'kernel ms alone',
      'kernel ms together (median of 4)',
    ],
  ];
  const data: unknown[] = [];
  const o = opts({ warmup: 2, number: 10, repeat: 10, timeoutMs: 10_000 });
  for (const mechanism of ['green', 'mps', 'timeslice'] as const) {
    const s = await open(mechanism, 4, 25);
    try {
      const prepared = (await s.prepare([input(big, 2)]))[0] as Prepared;
      if (!prepared.ok) throw new Error('bench kernel did not compile');
      const item = prepared.item;
      await s.pool.measure([{ ...item, id: 'warm' }], o);
      let t = performance.now();
      const [alone] = await s.pool.measure([{ ...item, id: 'alone' }], o);
      const aloneWall = performance.now() - t;
      t = performance.now();
      const together = await s.pool.measure(
        [0, 1, 2, 3].map((i) => ({ ...item, id: `t${i}` })),
        o,
      );
      const togetherWall = performance.now() - t;
      const kernelAlone = alone?.result.ok ? alone.result.medianMs : Number.NaN;
      const kernelTogether = median(together.map((r) => (r.result.ok ? r.result.medianMs : Number.NaN)));
      const servers = new Set(together.map((r) => r.slice.id)).size;
      rows.push([
        mechanism,
        alone?.slice.sms ?? 0,
        fmt(aloneWall),
        fmt(togetherWall),
        fmt(togetherWall / aloneWall),
        fmt(kernelAlone),
        fmt(kernelTogether),
      ]);
      data.push({
        mechanism,
        sms: alone?.slice.sms,
        aloneWall,
        togetherWall,
        kernelAlone,
        kernelTogether,
        servers,
      });
    } finally {
      await s.close();
    }
  }
  json.b = data;
  out.push(
    '## b) four 25% slices together against one alone (same kernel, 120 launches each)',
    '',
    mdTable(rows),
    '',
  );
}

async function sectionC(): Promise<void> {
  const rows: (string | number)[][] = [
    ['mechanism', 'valid', 'fault', 'timeout', 'other', 'wall s', 'runner restarts', 'isolated reruns'],
  ];
  const data: unknown[] = [];
  for (const mechanism of ['green', 'mps'] as const) {
    const s = await open(mechanism, 4, 25);
    try {
      const inputs = Array.from({ length: 50 }, (_, i) => input(small, i));
      inputs.splice(17, 0, { id: 'fault', kernel: faultKernel(small), reference: fmaReference(small) });
      inputs.splice(33, 0, { id: 'hang', kernel: hangKernel(small), reference: fmaReference(small) });
      const t = performance.now();
      const results = await s.measure(inputs, opts({ timeoutMs: 1000 }));
      const wall = (performance.now() - t) / 1000;
      const kinds = results.map((r) => (r.result.ok ? 'ok' : r.result.kind));
      const count = (k: string) => kinds.filter((x) => x === k).length;
      const other = kinds.length - count('ok') - count('fault') - count('timeout');
      const { restarts, isolatedReruns } = s.pool.stats;
      rows.push([
        mechanism,
        count('ok'),
        count('fault'),
        count('timeout'),
        other,
        fmt(wall),
        restarts,
        isolatedReruns,
      ]);
      data.push({
        mechanism,
        kinds,
        wall,
        stats: s.pool.stats,
        faultResult: results.find((r) => r.id === 'fault')?.result,
        hangResult: results.find((r) => r.id === 'hang')?.result,
      });
    } finally {
      await s.close();
    }
  }
  json.c = data;
  out.push(
    '## c) 50 correct kernels + 1 illegal address + 1 endless loop, 4 slices of 25%',
    '',
    mdTable(rows),
    '',
  );
}

async function sectionD(): Promise<void> {
  const backend = resolveBackend(device).kind;
  const arch = card?.arch ?? (await probeDevices(device)).devices[0]?.arch ?? 'sm_90';
  const rows: (string | number)[][] = [
    ['worker kind', 'compile workers', 'kernels', 'wall s', 'kernels / s'],
  ];
  const data: unknown[] = [];
  for (const workerKind of ['thread', 'process'] as const) {
    for (const workers of [1, 4, 16]) {
      const b = new Builder({ backend, arch, workers, workerKind });
      const kernels = Array.from({ length: 96 }, (_, i) =>
        fmaVariant({ elements: 65536 + workers, iters: 512 + i }, i),
      );
      await b.build(Array.from({ length: workers }, (_, i) => fmaVariant(small, i))); // start-up out of the timing
      const t = performance.now();
      const r = await b.build(kernels);
      const wall = (performance.now() - t) / 1000;
      await b.close();
      const ok = r.filter((x) => x.ok).length;
      const failed = r.find((x) => !x.ok);
      if (failed && !failed.ok) console.error(`section d: ${workerKind} x${workers}: ${failed.message}`);
      rows.push([workerKind, workers, ok, fmt(wall), fmt(ok / wall)]);
      data.push({ workerKind, workers, ok, wall, perSecond: ok / wall });
    }
  }
  json.d = data;
  out.push(
    `## d) compile throughput (NVRTC to CUBIN, ${availableParallelism()} CPU cores)`,
    '',
    mdTable(rows),
    '',
  );
}

async function sectionE(): Promise<void> {
  const s = await open('exclusive', 1, 100);
  try {
    const o = opts({ warmup: 0, number: 1, repeat: 1, timeoutMs: 2000 });
    // Ten workloads (different sizes) so buffers are allocated and freed as the runner moves on.
    const shapes = Array.from({ length: 10 }, (_, i) => ({ elements: 32768 * (i + 1), iters: 64 }));
    const prepared = await s.prepare(
      shapes.flatMap((sh) => Array.from({ length: 10 }, (_, v) => input(sh, v, `${sh.elements}.${v}`))),
    );
    const items = prepared.flatMap((p) => (p.ok ? [p.item] : []));
    const run = async (n: number, from: number) => {
      for (let i = 0; i < n; i++) {
        const item = items[(from + i) % items.length];
        if (item) await s.pool.measure([{ ...item, id: `m${from + i}` }], o);
      }
    };
    const used = (m: { free: number; total: number }) => (m.total - m.free) / 2 ** 20;
    const checkpoints = [10, 100, 250, 500, 1000];
    const samples: { configs: number; usedMiB: number }[] = [];
    let done = 0;
    for (const c of checkpoints) {
      await run(c - done, done);
      done = c;
      samples.push({ configs: c, usedMiB: used(await s.pool.memInfo()) });
    }
    json.e = samples;
    out.push(
      '## e) device memory in use as measured configs accumulate',
      '',
      mdTable([['measured configs', 'used MiB'], ...samples.map((x) => [x.configs, fmt(x.usedMiB, 6)])]),
      '',
    );
  } finally {
    await s.close();
  }
}

await runBenchmark({
  name: 'slices',
  outDir,
  only: sections,
  sections: { a: sectionA, b: sectionB, c: sectionC, d: sectionD, e: sectionE },
  out,
  json,
  card: () => card,
  command: 'node bench/slices.js',
});
