import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTasks, loadModel } from '../../src/graph/index.js';
import { workloadFlops } from '../../src/ops/index.js';
import { RecordStore } from '../../src/records/store.js';
import { reportCharts } from '../../src/report/charts.js';
import { tuningCurve } from '../../src/report/curves.js';
import { loadLatencyMatrix, parseLatencyMatrix } from '../../src/report/matrix.js';
import { collectReportData } from '../../src/report/report-data.js';
import { flopsOfWorkloadKey } from '../../src/report/workload-flops.js';
import { writeReport } from '../../src/report/write-report.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { BASELINE, fillStore, MATRIX, record, TASKS } from './fixtures.js';

let dir: string;
let store: RecordStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slicetune-report-'));
  store = RecordStore.open(join(dir, 'records.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tuning curves', () => {
  it('sum weight x best latency so far after each batch, once every task has a best', () => {
    const started = 1_000_000;
    const records = BASELINE.map((m, i) => record('baseline', started, m, i));
    const weights = new Map(TASKS.map((t) => [t.key, t.weight]));
    const curve = tuningCurve(records, started, weights);
    // Batch at 2 s measured only the conv: no estimate yet. Then 3 x 0.5 + 0.2, 3 x 0.4 + 0.2, unchanged.
    expect(curve.map((p) => p.seconds)).toEqual([4, 6, 8]);
    expect(curve.map((p) => p.ms)).toEqual(
      [3 * 0.5 + 0.2, 3 * 0.4 + 0.2, 3 * 0.4 + 0.2].map((x) => expect.closeTo(x, 9)),
    );
  });

  it('weighs every task 1 when the run stored no weights', () => {
    const records = BASELINE.map((m, i) => record('baseline', 0, m, i));
    expect(tuningCurve(records, 0, new Map()).at(-1)?.ms).toBeCloseTo(0.4 + 0.2, 9);
  });
});

describe('report data', () => {
  it('gathers runs, their kind, trials, failures and GFLOP/s per task from the store', () => {
    fillStore(store);
    const data = collectReportData(store);
    expect(data.simulated).toBe(true);
    expect(data.tasks.map((t) => t.key)).toEqual(TASKS.map((t) => t.key));
    expect(data.tasks.map((t) => t.weight)).toEqual([3, 1]);
    const [baseline, shared] = data.runs;
    expect(baseline?.kind).toBe('baseline');
    expect(shared?.kind).toBe('shared');
    expect(baseline?.trialsPerTask).toEqual([3, 2]);
    expect(baseline?.failures).toMatchObject({ compile: 1, resources: 1, wrong: 0 });
    expect(shared?.failures).toMatchObject({ wrong: 1 });
    const conv = TASKS[0];
    expect(shared?.bestGflopsPerTask[0]).toBeCloseTo((conv?.flops ?? 0) / 0.3 / 1e6, 3);
    expect(shared?.curve.at(-1)?.ms).toBeCloseTo(3 * 0.3 + 0.1, 9);
    expect(shared?.curve[0]?.seconds).toBeCloseTo(1, 0);
  });

  it('knows the FLOPs of every zoo task from its workload key alone', () => {
    for (const model of ['resnet18', 'bert_encoder'] as const) {
      for (const task of extractTasks(loadModel(model, { inputSize: 64, seqLen: 16 })).tasks) {
        expect(flopsOfWorkloadKey(task.workloadKey)).toBe(workloadFlops(task.workload));
      }
    }
    expect(flopsOfWorkloadKey('conv2d.f32.n1.garbage')).toBeNull();
    expect(flopsOfWorkloadKey('softmax.f32.n1')).toBeNull();
  });

  it('reports records whose run is not in the runs table (imported ones) as their own run', () => {
    store.add(BASELINE.map((m, i) => record('imported', 5_000, m, i)));
    const data = collectReportData(store);
    expect(data.runs.map((r) => r.runId)).toEqual(['imported']);
    expect(data.runs[0]?.curve.map((p) => p.seconds)).toEqual([2, 4, 6]);
  });
});

describe('writeReport', () => {
  it('writes a self-contained HTML report with the data and one SVG per chart', () => {
    fillStore(store);
    const out = join(dir, 'out');
    const written = writeReport(store, out);
    expect(written.runs).toBe(2);
    expect(written.records).toBe(BASELINE.length + 4);
    const html = readFileSync(written.html, 'utf8');
    expect(html).toContain('Simulated data');
    expect(html).toContain(TASKS[0]?.key);
    expect(html).toContain('twotask 25% exclusive baseline');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('echarts');
    // The charts' options are embedded as JSON: the shared run's curve ends at 3 x 0.3 + 0.1 ms.
    const embedded = /const charts = (.*);\nwindow\.slicetuneCharts/.exec(html)?.[1];
    const charts = JSON.parse(embedded ?? 'null') as {
      id: string;
      option: { series: { name: string; data: number[][] }[] };
    }[];
    const curves = charts.find((c) => c.id === 'tuning-curves')?.option.series ?? [];
    expect(curves.map((s) => s.name)).toEqual([
      expect.stringContaining('baseline'),
      expect.stringContaining('green'),
    ]);
    expect(curves[1]?.data.at(-1)?.[1]).toBeCloseTo(1.0, 6);
    const names = written.svgs.map((p) => p.slice(out.length + 1)).sort();
    expect(names).toEqual([
      'best-gflops.svg',
      'failures-by-kind.svg',
      'trials-per-task.svg',
      'tuning-curves.svg',
    ]);
    for (const path of written.svgs) {
      const svg = readFileSync(path, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('simulated GPU');
    }
    // Two runs drawn as two paths in the curve chart.
    const curveSvg = readFileSync(join(out, 'tuning-curves.svg'), 'utf8');
    expect(curveSvg.match(/<path [^>]*fill="none"[^>]*stroke="#/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });

  it('adds the tuned-at x run-at heatmap and latency-vs-share lines when a matrix is given', () => {
    fillStore(store);
    const out = join(dir, 'out');
    const written = writeReport(store, out, parseLatencyMatrix(MATRIX));
    expect(written.svgs.map((p) => p.slice(out.length + 1))).toEqual(
      expect.arrayContaining(['latency-heatmap.svg', 'latency-vs-share.svg']),
    );
    const heatmap = readFileSync(join(out, 'latency-heatmap.svg'), 'utf8');
    for (const ms of ['3.9', '1.8', '3.2']) expect(heatmap).toContain(`>${ms}<`);
    const charts = reportCharts(collectReportData(store, parseLatencyMatrix(MATRIX)));
    const lines = charts.find((c) => c.id === 'latency-vs-share')?.option.series as { name: string }[];
    expect(lines.map((s) => s.name)).toEqual(['tuned at 100%', 'tuned at 50%', 'tuned at 25%', 'PyTorch']);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('refuses a matrix file that is not square, naming the field', () => {
    const path = join(dir, 'matrix.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...MATRIX,
        latencyMs: [
          [1, 2, 3],
          [1, 2],
        ],
      }),
    );
    expect(() => loadLatencyMatrix(path)).toThrow(/latencyMs\.1: needs one column per share \(3\), got 2/);
    writeFileSync(path, '{ not json');
    try {
      loadLatencyMatrix(path);
      expect.unreachable();
    } catch (e) {
      expect(isSlicetuneError(e, 'BAD_OPTION')).toBe(true);
      expect((e as Error).message).toContain('is not JSON');
    }
  });
});
