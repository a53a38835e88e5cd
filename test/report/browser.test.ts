/**
 * The report and the live dashboard in a real browser: Debian's chromium driven by playwright-core
 * (no browser download). Checks that every chart rendered with data and that the page logged no
 * error; saves screenshots under docs/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordStore } from '../../src/records/store.js';
import { parseLatencyMatrix } from '../../src/report/matrix.js';
import { writeReport } from '../../src/report/write-report.js';
import { cancelJob, submitJob } from '../../src/service/client.js';
import type { ServiceState } from '../../src/service/state.js';
import { request, startTestService, type TestService } from '../service/helpers.js';
import { fillStore, MATRIX } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = resolve('docs/screenshots');

interface ChartProbe {
  id: string;
  series: number[];
  drawn: boolean;
}

/** Every chart the page registered on window.slicetuneCharts: points per series, and whether it drew. */
function probeCharts(page: Page): Promise<ChartProbe[]> {
  return page.evaluate(() => {
    const charts = (
      globalThis as unknown as {
        slicetuneCharts: Record<
          string,
          { getOption(): unknown; getDom(): { querySelector(selector: string): unknown } }
        >;
      }
    ).slicetuneCharts;
    return Object.entries(charts).map(([id, chart]) => {
      const option = chart.getOption() as { series?: { data?: unknown[] }[] };
      const dom = chart.getDom();
      return {
        id,
        series: (option.series ?? []).map((s) => s.data?.length ?? 0),
        drawn: dom.querySelector('canvas, svg') !== null,
      };
    });
  });
}

/** The data of every series of one chart on the page. */
function seriesData(page: Page, id: string): Promise<unknown[][]> {
  return page.evaluate((chartId) => {
    const charts = (globalThis as unknown as { slicetuneCharts: Record<string, { getOption(): unknown }> })
      .slicetuneCharts;
    const option = charts[chartId]?.getOption() as { series?: { data?: unknown[] }[] } | undefined;
    return (option?.series ?? []).map((s) => s.data ?? []);
  }, id);
}

/** Console errors and uncaught exceptions of a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('in headless Chromium', () => {
  let profile: string;
  let browser: BrowserContext;
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'slicetune-chromium-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1000, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('the report renders every chart with data, offline, without errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slicetune-report-'));
    const store = RecordStore.open(join(dir, 'records.db'));
    try {
      fillStore(store);
      const written = writeReport(store, join(dir, 'out'), parseLatencyMatrix(MATRIX));
      const page = await browser.newPage();
      const errors = watchErrors(page);
      // Offline: any request leaving the file would fail the page.
      await page.route(/^https?:/, (route) => route.abort());
      await page.goto(pathToFileURL(written.html).href);
      await page.waitForFunction(() => 'slicetuneCharts' in globalThis);
      const charts = await probeCharts(page);
      expect(charts.map((c) => c.id).sort()).toEqual(
        [
          'best-gflops',
          'failures-by-kind',
          'latency-heatmap',
          'latency-vs-share',
          'trials-per-task',
          'tuning-curves',
        ].sort(),
      );
      for (const chart of charts) {
        expect(chart.drawn, chart.id).toBe(true);
        expect(chart.series.length, chart.id).toBeGreaterThan(0);
        expect(Math.max(...chart.series), chart.id).toBeGreaterThan(0);
      }
      expect(await page.textContent('body')).toContain('Simulated data');
      await page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the dashboard shows jobs, servers with occupancy, and tuning curves that move', async () => {
    const token = 'dashboard-token';
    let service: TestService | undefined;
    try {
      // The simulated GPU sleeping a fifth of its kernel time: enough for the servers to show occupancy.
      service = await startTestService({ token, backendOptions: { timeScale: 0.2 } });
      const { url } = service;
      const running = await submitJob(
        url,
        { model: 'bert_encoder', share: 25, servers: 2, trials: 100_000, user: 'alice' },
        token,
      );
      await submitJob(
        url,
        { model: 'bert_encoder', share: 50, servers: 1, trials: 100_000, user: 'bob' },
        token,
      );
      await submitJob(url, { model: 'mobilenet_v2', share: 50, servers: 1, trials: 2, user: 'carol' }, token);
      await waitFor(async () => {
        const state = (await request(url, '/api/state', { token })).body as unknown as ServiceState;
        return state.curves.some((c) => c.jobId === running.id && c.points.length >= 2);
      });

      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${url}/#token=${token}`);
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { slicetuneDashboard: { polls: number } }).slicetuneDashboard.polls >= 1,
      );
      const first = await probeCharts(page);
      const points = (probes: ChartProbe[]) =>
        probes.find((c) => c.id === 'curves')?.series.reduce((a, b) => a + b, 0) ?? 0;
      // alice's two 25% servers and bob's one 50% server; carol waits for a share to free.
      expect(first.find((c) => c.id === 'servers')?.series[0]).toBe(3);
      expect(points(first)).toBeGreaterThan(0);
      for (const chart of first) expect(chart.drawn, chart.id).toBe(true);
      // As records arrive the curves grow on the page itself.
      await waitFor(async () => points(await probeCharts(page)) > points(first));
      const occupancy = (await seriesData(page, 'servers'))[0] ?? [];
      expect(Math.max(...occupancy.map(Number))).toBeGreaterThan(0);
      const jobsText = await page.textContent('#jobs');
      expect(jobsText).toContain('alice');
      expect(jobsText).toContain('queued');
      expect(await page.isVisible('#simulated')).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
      await cancelJob(url, running.id, token);
    } finally {
      await service?.stop();
    }
  }, 120_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
