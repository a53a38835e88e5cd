/**
 * bench/ops: the operator templates on the GPU (issue 3), PyTorch/cuDNN side by side.
 *   a) every template against the reference on >= 200 random valid configs over odd shapes
 *   b) ResNet-18's conv2d and dense workloads at batch 1: best of N random configs against
 *      cuDNN/cuBLAS, on the whole GPU and on a 25% slice (MPS for both, the same share)
 * Usage: node bench/ops.js [--device cuda|sim] [--out DIR] [--configs 500] [--only ab]
 */
import { fileURLToPath } from 'node:url';
import type { DeviceChoice } from '../src/gpu/device.js';
import { type MpsDaemon, mpsEnv, startMpsDaemon, stopMpsDaemon } from '../src/gpu/mps.js';
import type { DeviceInfo } from '../src/gpu/types.js';
import { MeasureSession, type Prepared } from '../src/measure/session.js';
import { DEFAULT_MEASURE_OPTIONS, type MeasureInput, type MeasureOptions } from '../src/measure/types.js';
import {
  batchMatmulWorkload,
  conv2dWorkload,
  denseWorkload,
  RESNET18_WORKLOADS,
  toleranceFor,
  type Workload,
  workloadFlops,
  workloadKey,
} from '../src/ops/index.js';
import type { Config } from '../src/space/types.js';
import { referenceKernel, TEMPLATES, type Template, templatesFor } from '../src/templates/index.js';
import { Rng } from '../src/util/rng.js';
import { geomean } from '../src/util/stats.js';
import { runPythonPeer } from './lib/peer.js';
import { argValue, fmt, mdTable, runBenchmark } from './lib/report.js';

const device = argValue('device', 'cuda') as DeviceChoice;
const outDir = argValue('out', process.env.OUT ?? 'out');
const perWorkload = Number(argValue('configs', '500'));
const sections = argValue('only', 'ab');
const out: string[] = [];
const json: Record<string, unknown> = {};
let card: DeviceInfo | undefined;

/** Odd shapes: 7x7 images, 3 input channels, stride 2, 1x1, dilation, groups, no tile multiples. */
const ODD_SHAPES: Workload[] = [
  conv2dWorkload(
    { n: 1, c: 3, h: 31, w: 29, k: 17, r: 7, s: 7, strideH: 2, strideW: 2, padH: 3, padW: 3 },
    { bias: true, activation: 'relu' },
  ),
  conv2dWorkload(
    { n: 2, c: 64, h: 7, w: 7, k: 96, r: 3, s: 3, padH: 1, padW: 1 },
    { bias: true, residual: true, activation: 'relu' },
  ),
  conv2dWorkload(
    { n: 1, c: 48, h: 15, w: 15, k: 40, r: 1, s: 1, strideH: 2, strideW: 2 },
    { bnScaleShift: true },
  ),
  conv2dWorkload(
    { n: 1, c: 32, h: 20, w: 20, k: 32, r: 3, s: 3, padH: 2, padW: 2, dilationH: 2, dilationW: 2, groups: 2 },
    { activation: 'relu6' },
  ),
  conv2dWorkload(
    { n: 1, c: 40, h: 19, w: 19, k: 40, r: 3, s: 3, padH: 1, padW: 1, groups: 40 },
    { bias: true, activation: 'relu6' },
  ),
  conv2dWorkload(
    { n: 1, c: 24, h: 28, w: 28, k: 24, r: 3, s: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, groups: 24 },
    {},
  ),
  denseWorkload({ m: 1, n: 1000, k: 512 }, { bias: true }),
  denseWorkload({ m: 7, n: 33, k: 65 }, { bias: true, residual: true, activation: 'relu' }),
  batchMatmulWorkload({ b: 12, m: 128, n: 128, k: 64, transB: true }),
  batchMatmulWorkload({ b: 3, m: 17, n: 19, k: 23, transB: false }),
];

const timing = (o: Partial<MeasureOptions>): MeasureOptions => ({ ...DEFAULT_MEASURE_OPTIONS, ...o });

function inputFor(w: Workload, t: Template, config: Config, dev: DeviceInfo, id: string): MeasureInput {
  return {
    id,
    kernel: t.generate(w, config, dev),
    reference: referenceKernel(w),
    tolerance: toleranceFor(w, t.tensorCore ? 'tf32' : 'f32'),
  };
}

/** Up to n distinct random valid configs of a template for a workload. */
function sampleConfigs(t: Template, w: Workload, dev: DeviceInfo, n: number, seed: number): Config[] {
  const space = t.space(w, dev);
  const rng = new Rng(seed);
  const seen = new Map<string, Config>();
  for (let tries = 0; seen.size < n && tries < n * 4; tries++) {
    const c = space.sample(rng);
    seen.set(space.key(c), c);
  }
  return [...seen.values()];
}

async function sectionA(): Promise<void> {
  const s = await MeasureSession.open({ device, mechanism: 'exclusive', slices: 1, percent: 100 });
  card ??= s.device;
  const dev = s.device;
  const rows: (string | number)[][] = [
    ['template', 'shapes', 'configs', 'ok', 'wrong', 'compile', 'resources', 'fault', 'timeout'],
  ];
  const data: unknown[] = [];
  try {
    for (const t of TEMPLATES) {
      const shapes = ODD_SHAPES.filter((w) => t.op === w.op && t.applies(w));
      const per = Math.ceil(200 / Math.max(1, shapes.length));
      const inputs = shapes.flatMap((w, i) =>
        sampleConfigs(t, w, dev, per, 1000 + i).map((c, j) => inputFor(w, t, c, dev, `${t.name}.${i}.${j}`)),
      );
      const results = await s.measure(inputs, timing({ warmup: 0, number: 1, repeat: 1 }));
      const count = (k: string) => results.filter((r) => (r.result.ok ? 'ok' : r.result.kind) === k).length;
      rows.push([
        t.name,
        shapes.length,
        results.length,
        count('ok'),
        count('wrong'),
        count('compile'),
        count('resources'),
        count('fault'),
        count('timeout'),
      ]);
      const failures = results
        .filter((r) => !r.result.ok)
        .slice(0, 5)
        .map((r) => ({ id: r.id, result: r.result }));
      data.push({
        template: t.name,
        configs: results.length,
        ok: count('ok'),
        wrong: count('wrong'),
        failures,
      });
    }
  } finally {
    await s.close();
  }
  json.a = data;
  out.push(
    '## a) correctness: random valid configs of every template over odd shapes, checked against the reference kernel',
    '',
    mdTable(rows),
    '',
  );
}

interface PeerResults {
  torch: string;
  cudnn: number;
  device: string;
  sms: number;
  results: { conv_ms: number; full_ms: number; conv_eager_ms: number }[];
}

/** The random configs of every ResNet-18 workload, as measurement inputs (the same at both shares). */
function resnetInputs(dev: DeviceInfo): MeasureInput[][] {
  return RESNET18_WORKLOADS.map((mw, i) => {
    const templates = templatesFor(mw.workload);
    return templates.flatMap((t) =>
      sampleConfigs(t, mw.workload, dev, Math.ceil(perWorkload / templates.length), 77 + i).map((c, j) =>
        inputFor(mw.workload, t, c, dev, `${t.name}|${j}`),
      ),
    );
  });
}

/**
 * Best of the prepared configs of each workload on a session. Compiles are started for every
 * workload at once and queue in the builder, so the GPU measures workload i while the CPU
 * compiles workload i+1; the 25% pass reuses the 100% pass's binaries.
 */
async function tuneResnet(s: MeasureSession, share: 100 | 25, prepared: Promise<Prepared[]>[]) {
  const best: { ms: number; template: string; valid: number; sms: number }[] = [];
  for (const [i, mw] of RESNET18_WORKLOADS.entries()) {
    const ready = await (prepared[i] as Promise<Prepared[]>);
    const results = await s.run(ready, timing({ warmup: 2, number: 10, repeat: 3 }));
    let b = { ms: Number.POSITIVE_INFINITY, template: '-', valid: 0, sms: results[0]?.slice.sms ?? 0 };
    for (const r of results) {
      if (!r.result.ok) continue;
      b.valid++;
      if (r.result.medianMs < b.ms) b = { ...b, ms: r.result.medianMs, template: r.id.split('|')[0] ?? '-' };
    }
    best.push(b);
    process.stderr.write(
      `resnet18 ${mw.name} @${share}%: best ${fmt(b.ms)} ms (${b.template}, ${b.valid} valid)\n`,
    );
  }
  return best;
}

async function sectionB(): Promise<void> {
  const peerScript = fileURLToPath(new URL('./peers/torch_ops.py', import.meta.url));
  const workloads = RESNET18_WORKLOADS.map((m) => m.workload);
  const whole = await MeasureSession.open({ device, mechanism: 'exclusive', slices: 1, percent: 100 });
  const dev = whole.device;
  card ??= dev;
  const prepared = resnetInputs(dev).map((inputs) => whole.prepare(inputs));
  let ours100: Awaited<ReturnType<typeof tuneResnet>>;
  try {
    ours100 = await tuneResnet(whole, 100, prepared);
  } finally {
    await whole.close();
  }
  const torch100 = dev.simulated ? undefined : runPythonPeer<PeerResults>(peerScript, workloads);
  let ours25: Awaited<ReturnType<typeof tuneResnet>>;
  let torch25: PeerResults | undefined;
  // One MPS daemon for both: slicetune's four 25% clients, then PyTorch as a 25% client.
  const mps: MpsDaemon | undefined = dev.simulated ? undefined : await startMpsDaemon();
  try {
    const quarter = await MeasureSession.open({
      device,
      mechanism: 'mps',
      slices: 4,
      percent: 25,
      ...(mps ? { mpsDirs: { pipeDir: mps.pipeDir, logDir: mps.logDir } } : {}),
    });
    try {
      ours25 = await tuneResnet(quarter, 25, prepared);
    } finally {
      await quarter.close();
    }
    if (mps) torch25 = runPythonPeer<PeerResults>(peerScript, workloads, mpsEnv(25, mps, dev.sms));
  } finally {
    if (mps) await stopMpsDaemon(mps);
  }
  const rows: (string | number)[][] = [
    [
      'workload',
      'GFLOP',
      'ours 100% ms',
      'cuDNN 100% ms',
      'x (cuDNN/ours)',
      'ours 25% ms',
      'cuDNN 25% ms',
      'x (cuDNN/ours)',
      'best template 100% / 25%',
    ],
  ];
  const r100: number[] = [];
  const r25: number[] = [];
  RESNET18_WORKLOADS.forEach((mw, i) => {
    const a = ours100[i];
    const b = ours25[i];
    const ta = torch100?.results[i]?.conv_ms ?? Number.NaN;
    const tb = torch25?.results[i]?.conv_ms ?? Number.NaN;
    if (a && Number.isFinite(ta)) r100.push(ta / a.ms);
    if (b && Number.isFinite(tb)) r25.push(tb / b.ms);
    rows.push([
      mw.name,
      fmt(workloadFlops(mw.workload) / 1e9),
      fmt(a?.ms ?? Number.NaN),
      fmt(ta),
      fmt(ta / (a?.ms ?? Number.NaN)),
      fmt(b?.ms ?? Number.NaN),
      fmt(tb),
      fmt(tb / (b?.ms ?? Number.NaN)),
      `${a?.template} / ${b?.template}`,
    ]);
  });
  rows.push(['geomean', '', '', '', fmt(geomean(r100)), '', '', fmt(geomean(r25)), '']);
  json.b = {
    ours100,
    ours25,
    torch100,
    torch25,
    keys: RESNET18_WORKLOADS.map((m) => workloadKey(m.workload)),
    geomean100: geomean(r100),
    geomean25: geomean(r25),
  };
  out.push(
    `## b) ResNet-18 (batch 1): best of ${perWorkload} random configs against cuDNN/cuBLAS`,
    '',
    `Peer: ${torch100 ? `PyTorch ${torch100.torch}, cuDNN ${torch100.cudnn}, fp32, TF32 off, cudnn.benchmark on; the convolution (or GEMM) alone, timed as a CUDA graph replay` : 'none (simulated GPU)'}. ` +
      'Ours: the fused kernel (epilogue included), median of 3 repeats of 10 back-to-back launches. 25%: MPS clients with CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25 for both (32 SMs); ours on four such clients at once.',
    '',
    mdTable(rows),
    '',
  );
}

await runBenchmark({
  name: 'ops',
  outDir,
  only: sections,
  sections: { a: sectionA, b: sectionB },
  out,
  json,
  card: () => card,
  command: 'node bench/ops.js',
});
