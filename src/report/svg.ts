/** Server-side rendering of a chart to an SVG string (ECharts SSR: no DOM, no browser). */
import * as echarts from 'echarts';
import type { ChartSpec } from './charts.js';

export const CHART_WIDTH = 900;
export const CHART_HEIGHT = 420;

export function renderChartSvg(chart: ChartSpec, width = CHART_WIDTH, height = CHART_HEIGHT): string {
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    instance.setOption(chart.option);
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}
