/**
 * The live dashboard of `slicetune serve`: one self-contained page (ECharts inlined) that polls
 * /api/state and shows the jobs, the servers with their slices and occupancy, and each job's
 * tuning curve (estimated model latency over time) as records arrive. When the service has a
 * token, open the page as /#token=T: the script sends it as a Bearer header.
 */
import { echartsBundle, inlineScript } from './echarts-lib.js';

/** How often the page asks for /api/state, milliseconds. */
export const DASHBOARD_POLL_MS = 1000;

export function renderDashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>slicetune serve</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 20px; color: #222; }
.simulated { background: #fff3cd; border: 1px solid #e0c36a; padding: 6px 10px; display: none; }
.chart { width: 900px; height: 360px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; font-size: 12px; text-align: left; }
#status { color: #666; font-size: 12px; }
</style></head>
<body>
<h1>slicetune serve</h1>
<p id="status">connecting...</p>
<p class="simulated" id="simulated">Simulated GPU: every number here comes from the analytical model, not from measurements.</p>
<h2>Jobs</h2>
<table id="jobs"><tr><th>job</th><th>user</th><th>model</th><th>share</th><th>GPU claimed</th><th>status</th><th>trials</th><th>estimated model latency</th></tr></table>
<h2>Servers</h2>
<div class="chart" id="servers"></div>
<table id="server-table"><tr><th>job</th><th>server</th><th>slice</th><th>occupancy</th></tr></table>
<h2>Tuning curves</h2>
<div class="chart" id="curves"></div>
${inlineScript(echartsBundle())}
${inlineScript(dashboardScript())}
</body></html>
`;
}

function dashboardScript(): string {
  return `
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
const serversChart = echarts.init(document.getElementById('servers'));
const curvesChart = echarts.init(document.getElementById('curves'));
window.slicetuneCharts = { servers: serversChart, curves: curvesChart };
window.slicetuneDashboard = { polls: 0, lastState: null, lastError: null };

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}
function fillTable(id, rows) {
  const table = document.getElementById(id);
  while (table.rows.length > 1) table.deleteRow(1);
  for (const values of rows) {
    const tr = table.insertRow();
    for (const v of values) tr.appendChild(cell(v));
  }
}
function ms(v) { return typeof v === 'number' && isFinite(v) ? v.toPrecision(4) + ' ms' : '-'; }
function serverName(s) { return s.jobId.slice(0, 8) + ' #' + s.index; }

function render(state) {
  const tag = state.service.simulated ? ' (simulated GPU)' : '';
  document.getElementById('simulated').style.display = state.service.simulated ? 'block' : 'none';
  document.getElementById('status').textContent =
    'device ' + state.service.device + ', GPU share in use ' + state.service.shareInUse + '% of ' +
    state.service.shareLimit + '%, ' + state.jobs.length + ' job(s), updated ' + new Date(state.service.now).toLocaleTimeString();
  fillTable('jobs', state.jobs.map((j) => [
    j.id.slice(0, 8), j.user, j.model, j.share + '%', j.claim + '%',
    j.status + (j.queuePosition ? ' (#' + j.queuePosition + ' in queue)' : '') + (j.error ? ': ' + j.error : ''),
    j.trials.done + ' / ' + j.trials.total, ms(j.estimatedModelMs),
  ]));
  fillTable('server-table', state.servers.map((s) => [
    s.jobId.slice(0, 8), String(s.index),
    s.mechanism + ' ' + s.percent + '% (' + s.sms + ' of ' + s.totalSms + ' SMs)' + (s.simulated ? ' simulated' : ''),
    s.occupancy === null ? '-' : (100 * s.occupancy).toFixed(1) + '%',
  ]));
  serversChart.setOption({
    animation: false,
    title: { text: 'Measurement occupancy per server' + tag, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    grid: { left: 60, right: 20, top: 50, bottom: 60 },
    xAxis: { type: 'category', data: state.servers.map(serverName) },
    yAxis: { type: 'value', name: '% of wall time in measured kernels', min: 0 },
    series: [{ name: 'occupancy %', type: 'bar', data: state.servers.map((s) => s.occupancy === null ? 0 : +(100 * s.occupancy).toFixed(2)) }],
  }, true);
  curvesChart.setOption({
    animation: false,
    title: { text: 'Estimated model latency during tuning' + tag, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', bottom: 0 },
    grid: { left: 70, right: 20, top: 50, bottom: 60 },
    xAxis: { type: 'value', name: 'seconds since the job started', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', name: 'ms', scale: true },
    series: state.curves.map((c) => ({ name: c.label, type: 'line', step: 'end', showSymbol: false, data: c.points })),
  }, true);
}

async function poll() {
  try {
    const response = await fetch('/api/state', { headers });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(response.status + ' ' + (body.error || response.statusText));
    }
    const state = await response.json();
    window.slicetuneDashboard.lastState = state;
    window.slicetuneDashboard.polls += 1;
    render(state);
  } catch (e) {
    // Shown on the page, not thrown: a service that restarts should not leave a broken page.
    window.slicetuneDashboard.lastError = String(e);
    document.getElementById('status').textContent = 'cannot reach the service: ' + e.message;
  }
  setTimeout(poll, ${DASHBOARD_POLL_MS});
}
poll();
`;
}
