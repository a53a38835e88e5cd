/**
 * The report as one self-contained HTML file: ECharts inlined, every chart's option embedded as
 * JSON, tables of runs and tasks. It opens from disk without network.
 */
import type { ChartSpec } from './charts.js';
import { echartsBundle, escapeHtml, inlineScript, scriptJson } from './echarts-lib.js';
import type { ReportData, RunReport } from './report-data.js';

export function renderReportHtml(data: ReportData, charts: ChartSpec[]): string {
  const title = `slicetune report${data.simulated ? ' (simulated GPU)' : ''}`;
  const chartDivs = charts
    .map(
      (c) =>
        `<section><div class="chart" id="${escapeHtml(c.id)}" data-title="${escapeHtml(c.title)}"></div>` +
        `<p class="svg-link"><a href="${escapeHtml(c.id)}.svg">${escapeHtml(c.id)}.svg</a></p></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
.simulated { background: #fff3cd; border: 1px solid #e0c36a; padding: 8px 12px; margin: 12px 0; }
.chart { width: 900px; height: 420px; margin: 16px 0 0; }
table { border-collapse: collapse; margin: 12px 0; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; font-size: 12px; }
.svg-link { font-size: 12px; margin: 0 0 16px; }
code { font-size: 11px; }
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>From <code>${escapeHtml(data.source)}</code>, generated ${new Date(data.generatedAt).toISOString()};
devices: ${escapeHtml(data.devices.join(', ') || 'none')}.</p>
${data.simulated ? '<p class="simulated">Simulated data: these numbers come from the analytical model of a GPU, not from measurements.</p>' : ''}
<h2>Runs</h2>
${runsTable(data.runs)}
<h2>Charts</h2>
${chartDivs}
<h2>Tasks</h2>
${tasksTable(data)}
${inlineScript(echartsBundle())}
${inlineScript(`
const charts = ${scriptJson(charts.map((c) => ({ id: c.id, option: c.option })))};
window.slicetuneCharts = {};
for (const c of charts) {
  const chart = echarts.init(document.getElementById(c.id), null, { renderer: 'canvas' });
  chart.setOption(c.option);
  window.slicetuneCharts[c.id] = chart;
}`)}
</body></html>
`;
}

function runsTable(runs: RunReport[]): string {
  const rows = runs.map((r) => {
    const last = r.curve.at(-1);
    return row([
      r.label,
      r.kind,
      r.status,
      r.simulated ? 'simulated' : 'measured',
      String(r.records),
      String(r.valid),
      last ? `${last.ms.toPrecision(4)} ms after ${last.seconds.toFixed(1)} s` : '-',
    ]);
  });
  return table(['run', 'kind', 'status', 'data', 'records', 'valid', 'final estimate'], rows);
}

function tasksTable(data: ReportData): string {
  const rows = data.tasks.map((t) =>
    row([
      t.id,
      t.key,
      t.weight === null ? '-' : String(t.weight),
      t.flops === null ? '-' : (t.flops / 1e9).toFixed(3),
    ]),
  );
  return table(['task', 'key', 'weight', 'GFLOP'], rows);
}

function table(head: string[], rows: string[]): string {
  return `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

function row(cells: string[]): string {
  return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
}
