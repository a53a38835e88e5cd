/**
 * The report's charts as ECharts options: plain JSON (no functions), so the same option renders
 * to SVG on the server (svg.ts) and in the browser (html.ts). Simulated data says so in titles.
 */
import { FAILURE_KINDS } from '../measure/types.js';
import type { LatencyMatrix } from './matrix.js';
import type { ReportData, RunReport } from './report-data.js';

export interface ChartSpec {
  /** File name stem of the SVG and the element id in the HTML. */
  id: string;
  title: string;
  option: Record<string, unknown>;
}

export function reportCharts(data: ReportData): ChartSpec[] {
  const tag = data.simulated ? ' (simulated GPU)' : '';
  const charts: ChartSpec[] = [
    curvesChart(data.runs, tag),
    perTaskChart('trials-per-task', `Trials per task${tag}`, 'trials', data, (r) => r.trialsPerTask),
    failuresChart(data.runs, tag),
    perTaskChart('best-gflops', `Best GFLOP/s per task${tag}`, 'GFLOP/s', data, (r) =>
      r.bestGflopsPerTask.map((g) => (g === null ? null : round(g, 1))),
    ),
  ];
  if (data.matrix) {
    const matrixTag = data.matrix.simulated ? ' (simulated GPU)' : '';
    charts.push(heatmapChart(data.matrix, matrixTag), shareLinesChart(data.matrix, matrixTag));
  }
  return charts;
}

function base(title: string, subtext?: string): Record<string, unknown> {
  return {
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: title, subtext, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'item' },
    legend: { type: 'scroll', bottom: 0 },
    grid: { left: 70, right: 30, top: 60, bottom: 70 },
  };
}

function curvesChart(runs: RunReport[], tag: string): ChartSpec {
  const withCurve = runs.filter((r) => r.curve.length > 0);
  return {
    id: 'tuning-curves',
    title: `Tuning curves${tag}`,
    option: {
      ...base(
        `Estimated model latency during tuning${tag}`,
        'sum over tasks of weight x best latency so far',
      ),
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'value', name: 'wall time (s)', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', name: 'model latency (ms)', scale: true },
      series: withCurve.map((r) => ({
        name: r.label,
        type: 'line',
        step: 'end',
        showSymbol: false,
        lineStyle: { type: r.kind === 'baseline' ? 'dashed' : 'solid', width: 2 },
        data: r.curve.map((p) => [round(p.seconds, 3), round(p.ms, 6)]),
      })),
    },
  };
}

function perTaskChart(
  id: string,
  title: string,
  axis: string,
  data: ReportData,
  values: (run: RunReport) => (number | null)[],
): ChartSpec {
  return {
    id,
    title,
    option: {
      ...base(title, 'tasks t1.. are listed in the task table'),
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: data.tasks.map((t) => t.id) },
      yAxis: { type: 'value', name: axis },
      series: data.runs.map((r) => ({ name: r.label, type: 'bar', data: values(r) })),
    },
  };
}

function failuresChart(runs: RunReport[], tag: string): ChartSpec {
  const title = `Failed measurements by kind${tag}`;
  return {
    id: 'failures-by-kind',
    title,
    option: {
      ...base(title),
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: runs.map((r) => r.label), axisLabel: { interval: 0, fontSize: 10 } },
      yAxis: { type: 'value', name: 'failures', minInterval: 1 },
      series: FAILURE_KINDS.map((kind) => ({
        name: kind,
        type: 'bar',
        stack: 'failures',
        data: runs.map((r) => r.failures[kind]),
      })),
    },
  };
}

function heatmapChart(m: LatencyMatrix, tag: string): ChartSpec {
  const labels = m.shares.map((s) => `${s}%`);
  const cells: [number, number, number, number][] = [];
  m.shares.forEach((_, runAt) => {
    const column = m.latencyMs.map((row) => row[runAt] ?? Infinity);
    const bestOfColumn = Math.min(...column);
    column.forEach((ms, tunedAt) => {
      cells.push([runAt, tunedAt, round(ms / bestOfColumn, 4), round(ms, 4)]);
    });
  });
  const worst = Math.max(1.0001, ...cells.map((c) => c[2]));
  const title = `${m.model}: tuned-at x run-at latency${tag}`;
  return {
    id: 'latency-heatmap',
    title,
    option: {
      ...base(title, 'cell: latency in ms; colour: ratio to the best of its column (1 = best)'),
      legend: undefined,
      tooltip: { position: 'top', formatter: 'ratio {@[2]}, {@[3]} ms' },
      grid: { left: 90, right: 30, top: 70, bottom: 90 },
      xAxis: { type: 'category', name: 'run at', data: labels, nameLocation: 'middle', nameGap: 28 },
      // Inverse: the first share on top, so the diagonal runs from top left to bottom right.
      yAxis: { type: 'category', name: 'tuned at', data: labels, inverse: true },
      visualMap: {
        dimension: 2,
        precision: 2,
        min: 1,
        max: round(worst, 4),
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        inRange: { color: ['#1a9850', '#fee08b', '#d73027'] },
      },
      series: [
        {
          name: 'latency',
          type: 'heatmap',
          data: cells,
          label: { show: true, formatter: '{@[3]}' },
        },
      ],
    },
  };
}

function shareLinesChart(m: LatencyMatrix, tag: string): ChartSpec {
  const title = `${m.model}: latency against the share it runs at${tag}`;
  const series: Record<string, unknown>[] = m.shares.map((tunedAt, i) => ({
    name: `tuned at ${tunedAt}%`,
    type: 'line',
    data: m.shares.map((runAt, j) => [runAt, round(m.latencyMs[i]?.[j] ?? Number.NaN, 4)]),
  }));
  if (m.peer && m.peer.length > 0) {
    series.push({
      name: m.peerLabel ?? 'PyTorch',
      type: 'line',
      lineStyle: { type: 'dashed' },
      data: m.peer.map((p) => [p.share, round(p.ms, 4)]),
    });
  }
  return {
    id: 'latency-vs-share',
    title,
    option: {
      ...base(title),
      tooltip: { trigger: 'axis' },
      xAxis: {
        type: 'value',
        name: 'share of the GPU (%)',
        min: 0,
        max: 100,
        nameLocation: 'middle',
        nameGap: 28,
      },
      yAxis: { type: 'value', name: 'latency (ms)', scale: true },
      series,
    },
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
