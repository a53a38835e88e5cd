/** Server-side rendering of a chart to an SVG string (ECharts SSR: no DOM, no browser). */
import { createRequire } from 'node:module';
import type * as ECharts from 'echarts';
import type { ChartSpec } from './charts.js';

let loaded: typeof ECharts | undefined;
/**
 * Loaded on the first chart, not at import: every CLI command imports the report, and a GPU
 * host's staged tree (scripts/device-stage.sh) runs `tune` and `sweep` without the chart library.
 */
function echarts(): typeof ECharts {
  loaded ??= createRequire(import.meta.url)('echarts') as typeof ECharts;
  return loaded;
}

export const CHART_WIDTH = 900;
export const CHART_HEIGHT = 420;

export function renderChartSvg(chart: ChartSpec, width = CHART_WIDTH, height = CHART_HEIGHT): string {
  const instance = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    instance.setOption(chart.option);
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}
