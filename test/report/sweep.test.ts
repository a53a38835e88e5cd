/** `slicetune sweep` on the simulated GPU: tune at each share, run every variant at every share. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as registerReport } from '../../src/cli/commands/report.js';
import { register as registerSweep } from '../../src/cli/commands/sweep.js';
import { AUTOTVM_MEASURE_OPTIONS } from '../../src/measure/types.js';
import { ModelRunStore } from '../../src/records/model-runs.js';
import { RecordStore } from '../../src/records/store.js';
import { parseLatencyMatrix } from '../../src/report/matrix.js';
import { collectReportData } from '../../src/report/report-data.js';
import { parseShareList, runSweep, type SweepResult } from '../../src/report/sweep.js';
import { analyzeSweep, RECOMMENDATION_RULE } from '../../src/report/sweep-analysis.js';
import { latestSweepMatrix } from '../../src/report/sweep-matrix.js';
import { runModel } from '../../src/runtime/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { runCommand } from '../helpers/cli.js';

const SHARES = [100, 50, 25];
const MODEL = 'resnet18';
const ZOO = { inputSize: 64 };
let dir: string;
let db: string;
let sweep: SweepResult;
const events: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slicetune-sweep-'));
  db = join(dir, 'records.db');
  sweep = await runSweep({
    model: MODEL,
    zoo: ZOO,
    shares: SHARES,
    trialsPerTask: 4,
    runs: 5,
    warmup: 1,
    db,
    device: 'sim',
    strategy: 'random',
    maxServers: 2,
    compileWorkers: 1,
    backendOptions: { timeScale: 0 },
    // The paper's timing (min_repeat_ms 150): the simulated GPU does not sleep it (timeScale 0).
    measureOptions: AUTOTVM_MEASURE_OPTIONS,
    onEvent: (e) => events.push(e.type),
  });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Checks the rule against the matrix directly: max over columns of latency / column best. */
function expectedRecommendation(latencyMs: number[][], shares: number[]): number {
  const columnBest = shares.map((_, r) => Math.min(...latencyMs.map((row) => row[r] as number)));
  const worst = latencyMs.map((row) => Math.max(...row.map((ms, r) => ms / (columnBest[r] as number))));
  const smallest = Math.min(...worst);
  return shares[worst.indexOf(smallest)] as number;
}

describe('runSweep', () => {
  it('draws the configs of each share from its own random stream', () => {
    const store = RecordStore.open(db, { mustExist: true });
    try {
      const keysAt = (percent: number) =>
        new Set(
          store
            .query({})
            .filter((r) => r.slice.percent === percent)
            .map((r) => `${r.taskKey} ${r.configKey}`),
        );
      const [a, b] = [keysAt(100), keysAt(50)];
      const shared = [...a].filter((k) => b.has(k)).length;
      expect(a.size).toBeGreaterThan(0);
      expect(shared).toBeLessThan(a.size);
    } finally {
      store.close();
    }
  });

  it('tunes at every share, then fills a shares x shares matrix, labelled simulated', () => {
    expect(sweep.tuning.map((t) => t.share)).toEqual(SHARES);
    expect(sweep.tuning.every((t) => t.validNewTrials > 0)).toBe(true);
    expect(sweep.matrix.shares).toEqual(SHARES);
    expect(sweep.matrix.latencyMs).toHaveLength(SHARES.length);
    for (const row of sweep.matrix.latencyMs) {
      expect(row).toHaveLength(SHARES.length);
      for (const ms of row) expect(ms).toBeGreaterThan(0);
    }
    for (const [t, row] of sweep.p99Ms.entries()) {
      for (const [r, p99] of row.entries())
        expect(p99).toBeGreaterThanOrEqual(sweep.matrix.latencyMs[t]?.[r] ?? 0);
    }
    expect(sweep.simulated).toBe(true);
    expect(sweep.matrix.simulated).toBe(true);
    expect(sweep.simulatedLabel).toMatch(/SIMULATED/);
    expect(events.filter((e) => e === 'run')).toHaveLength(SHARES.length ** 2);
    // Parses as the report's matrix input.
    expect(parseLatencyMatrix(sweep.matrix)).toEqual(sweep.matrix);
  });

  it('a slice runs slower on fewer SMs: each variant is slower at 25% than at 100%', () => {
    for (const row of sweep.matrix.latencyMs) expect(row[2]).toBeGreaterThan(row[0] as number);
  });

  it('times its tunings with the protocol it was given, and records which', () => {
    const store = RecordStore.open(db, { mustExist: true });
    try {
      const tunings = store.listRuns().filter((r) => r.runId.startsWith(`${sweep.runId}/tune-`));
      expect(tunings).toHaveLength(SHARES.length);
      for (const run of tunings) {
        expect((run.options as { measureOptions: { minRepeatMs: number } }).measureOptions.minRepeatMs).toBe(
          150,
        );
        const timings = store
          .query({ runId: run.runId })
          .flatMap((r) => (r.result.ok ? [r.result.timesMs.length] : []));
        expect(new Set(timings)).toEqual(new Set([3]));
      }
    } finally {
      store.close();
    }
  });

  it('stores every pair in model_runs, and the latest sweep reads back as the same matrix', () => {
    const store = ModelRunStore.open(db, { mustExist: true });
    try {
      const rows = store.query({ runId: sweep.runId });
      expect(rows).toHaveLength(SHARES.length ** 2);
      const pairs = rows.map((r) => `${r.tunedAtPercent}->${r.runAtPercent}`).sort();
      expect(pairs).toEqual(SHARES.flatMap((t) => SHARES.map((r) => `${t}->${r}`)).sort());
      for (const r of rows) {
        expect(r.model).toBe(sweep.model);
        expect(r.simulated).toBe(true);
        expect(r.deviceName).toBe(sweep.deviceName);
        expect(r.mechanism).toBe(r.runAtPercent === 100 ? 'exclusive' : 'green');
      }
    } finally {
      store.close();
    }
    // Read back largest share first, which is also the sweep's order here.
    expect(latestSweepMatrix(db)?.latencyMs).toEqual(sweep.matrix.latencyMs);
  });

  it('recommends the tuned-at share with the best worst case, and compares each diagonal with its column', () => {
    const { analysis, matrix } = sweep;
    expect(analysis.recommendation.tunedAtPercent).toBe(expectedRecommendation(matrix.latencyMs, SHARES));
    expect(analysis.recommendation.rule).toBe(RECOMMENDATION_RULE);
    for (const [r, c] of analysis.columns.entries()) {
      const column = matrix.latencyMs.map((row) => row[r] as number);
      expect(c.bestMs).toBe(Math.min(...column));
      expect(c.diagonalMs).toBe(matrix.latencyMs[r]?.[r]);
      expect(c.diagonalIsBest).toBe(c.diagonalMs === c.bestMs);
    }
    const loss = analysis.fullTuningLoss ?? [];
    expect(loss.map((l) => l.runAtPercent)).toEqual([50, 25]);
    for (const l of loss) expect(l.loss).toBeGreaterThanOrEqual(0);
  });

  it('runs the kernels tuned at one share on a slice of another (runModel tunedAtPercent)', async () => {
    const r = await runModel({
      model: MODEL,
      zoo: ZOO,
      db,
      percent: 25,
      tunedAtPercent: 100,
      mechanism: 'green',
      device: 'sim',
      runs: 2,
      warmup: 0,
      compileWorkers: 1,
      backendOptions: { timeScale: 0 },
    });
    expect(r.share.percent).toBe(25);
    expect(r.kernels.tuned).toBeGreaterThan(0);
    for (const c of r.kernels.choices.filter((k) => k.tuned)) expect(c.tunedPercent).toBe(100);
    expect(r.notes.join('\n')).toMatch(/tuned at 100% run on a 25% slice/);
  });
});

describe('the sweep analysis', () => {
  it('follows the stated rule on a hand-made matrix: tuned at 100% loses at small shares', () => {
    const m = parseLatencyMatrix({
      model: 'm',
      shares: [100, 50, 25],
      latencyMs: [
        [1.0, 2.4, 5.0],
        [1.1, 2.0, 4.2],
        [1.5, 2.2, 4.0],
      ],
    });
    const a = analyzeSweep(m);
    expect(a.columns.map((c) => c.diagonalIsBest)).toEqual([true, true, true]);
    expect(a.fullTuningLoss?.map((l) => Number(l.loss.toFixed(3)))).toEqual([0.2, 0.25]);
    // Worst cases: 100% -> 1.25 (at 25%), 50% -> 1.1 (at 100%), 25% -> 1.5 (at 100%).
    expect(a.worstCases.map((w) => Number(w.worstRatio.toFixed(3)))).toEqual([1.25, 1.1, 1.5]);
    expect(a.recommendation.tunedAtPercent).toBe(expectedRecommendation(m.latencyMs, m.shares));
    expect(a.recommendation.tunedAtPercent).toBe(50);
  });
});

describe('parseShareList', () => {
  it('takes distinct percentages in (0, 100] in the order given', () => {
    expect(parseShareList('100, 50,25,12.5')).toEqual([100, 50, 25, 12.5]);
  });

  it.each(['0', '150', 'half', '', '100,,50', '50,50', '-10'])("refuses '%s' with BAD_OPTION", (text) => {
    try {
      parseShareList(text);
      expect.unreachable();
    } catch (e) {
      expect(isSlicetuneError(e, 'BAD_OPTION')).toBe(true);
      expect((e as Error).message).toContain('--shares');
    }
  });
});

function cli(register: (p: Command) => void, args: string[]): Promise<string> {
  return runCommand(register, args, { silenceStderr: true });
}

describe('slicetune sweep (CLI)', () => {
  it('refuses a bad --shares before tuning anything', async () => {
    for (const bad of ['0', '150', 'text', '']) {
      await expect(
        cli(registerSweep, ['sweep', MODEL, '--device', 'sim', '--shares', bad]),
      ).rejects.toSatisfy((e: unknown) => isSlicetuneError(e, 'BAD_OPTION'));
    }
  });

  it('--json prints the matrix, the analysis and the model runs; --out writes the report with the heatmap', async () => {
    const out = join(dir, 'cli-report');
    const cliDb = join(dir, 'cli.db');
    const args = ['sweep', MODEL, '--device', 'sim', '--shares', '100,50', '--trials', '2'];
    const text = await cli(registerSweep, [
      ...args,
      ...['--runs', '3', '--warmup', '1', '--input-size', '32', '--strategy', 'random'],
      ...['--db', cliDb, '--out', out, '--json'],
    ]);
    const json = JSON.parse(text) as SweepResult & { report: string };
    expect(json.shares).toEqual([100, 50]);
    expect(json.matrix.latencyMs.map((row) => row.length)).toEqual([2, 2]);
    expect(json.modelRuns).toHaveLength(4);
    expect(json.simulated).toBe(true);
    expect(json.analysis.recommendation.tunedAtPercent).toBe(
      expectedRecommendation(json.matrix.latencyMs, json.matrix.shares),
    );
    expect(json.analysis.fullTuningLoss).toHaveLength(1);
    expect(existsSync(json.report)).toBe(true);
    expect(existsSync(join(out, 'latency-heatmap.svg'))).toBe(true);

    // `slicetune report` without --matrix picks the sweep up from model_runs.
    const again = join(dir, 'report-again');
    const written = JSON.parse(
      await cli(registerReport, ['report', '--db', cliDb, '--out', again, '--json']),
    ) as {
      svgs: string[];
    };
    expect(written.svgs.some((p) => p.endsWith('latency-heatmap.svg'))).toBe(true);
    const store = RecordStore.open(cliDb, { mustExist: true });
    try {
      expect(collectReportData(store, latestSweepMatrix(cliDb)).matrix?.shares).toEqual([100, 50]);
    } finally {
      store.close();
    }
  }, 300_000);

  it('--time-limit stops the tuning at each share and still fills the matrix', async () => {
    const args = ['sweep', MODEL, '--device', 'sim', '--shares', '100,25', '--trials', '100000'];
    const text = await cli(registerSweep, [
      ...args,
      ...['--time-limit', '3', '--runs', '3', '--warmup', '1', '--input-size', '32'],
      ...['--db', join(dir, 'limited.db'), '--json'],
    ]);
    const json = JSON.parse(text) as SweepResult;
    expect(json.tuning.map((t) => t.stopped)).toEqual([true, true]);
    expect(json.tuning.map((t) => t.newTrials < 100000)).toEqual([true, true]);
    expect(json.matrix.latencyMs.flat()).toHaveLength(4);
  }, 120_000);
});
