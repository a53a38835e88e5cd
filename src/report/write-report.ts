/** `slicetune report`: the HTML report and one SVG per chart, written into a folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordStore } from '../records/store.js';
import { reportCharts } from './charts.js';
import { renderReportHtml } from './html.js';
import type { LatencyMatrix } from './matrix.js';
import { collectReportData } from './report-data.js';
import { renderChartSvg } from './svg.js';

export interface WrittenReport {
  html: string;
  svgs: string[];
  runs: number;
  records: number;
  simulated: boolean;
}

export function writeReport(store: RecordStore, outDir: string, matrix?: LatencyMatrix): WrittenReport {
  const data = collectReportData(store, matrix);
  const charts = reportCharts(data);
  mkdirSync(outDir, { recursive: true });
  const svgs = charts.map((chart) => {
    const path = join(outDir, `${chart.id}.svg`);
    writeFileSync(path, renderChartSvg(chart));
    return path;
  });
  const html = join(outDir, 'report.html');
  writeFileSync(html, renderReportHtml(data, charts));
  return {
    html,
    svgs,
    runs: data.runs.length,
    records: data.runs.reduce((sum, r) => sum + r.records, 0),
    simulated: data.simulated,
  };
}
