/** The report of a store filled by a real (short) tuning run on the simulated GPU, through the CLI command. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as registerReport } from '../../src/cli/commands/report.js';
import { extractTasks, loadModel } from '../../src/graph/index.js';
import { RecordStore } from '../../src/records/store.js';
import { collectReportData } from '../../src/report/report-data.js';
import { planTuning } from '../../src/sharing/planner.js';
import { tuneModel } from '../../src/sharing/tune-model.js';
import { runCommand } from '../helpers/cli.js';

let dir: string;
let db: string;
const tasks = extractTasks(loadModel('bert_encoder')).tasks;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slicetune-report-run-'));
  db = join(dir, 'records.db');
  const store = RecordStore.open(db);
  try {
    // Different slices: a run resumes from records of its slice, so the second would measure nothing.
    for (const [runId, share, baseline] of [
      ['baseline-run', 100, true],
      ['shared-run', 50, false],
    ] as const) {
      const plan = planTuning({
        share,
        deviceSms: 132,
        cpuCores: 2,
        tasks: tasks.length,
        green: true,
        mps: true,
        baseline,
      });
      await tuneModel({
        tasks,
        plan,
        device: 'sim',
        store,
        runId,
        trialsPerTask: 3,
        strategy: 'random',
        seed: 1,
        backendOptions: { timeScale: 0 },
      });
    }
  } finally {
    store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a report of real tuning runs', () => {
  it('has a curve, trials and GFLOP/s for every task of both runs, labelled simulated', () => {
    const store = RecordStore.open(db, { mustExist: true });
    try {
      const data = collectReportData(store);
      expect(data.simulated).toBe(true);
      expect(data.tasks.map((t) => t.key).sort()).toEqual(tasks.map((t) => t.key).sort());
      expect(data.runs.map((r) => r.kind)).toEqual(['baseline', 'shared']);
      for (const run of data.runs) {
        expect(run.curve.length).toBeGreaterThan(0);
        expect(run.trialsPerTask.every((n) => n >= 3)).toBe(true);
        expect(run.bestGflopsPerTask.every((g) => g !== null && g > 0)).toBe(true);
      }
    } finally {
      store.close();
    }
  });

  it('`slicetune report --db --out --json` writes the HTML and the SVGs', async () => {
    const out = join(dir, 'report');
    const printed = await runCommand(registerReport, ['report', '--db', db, '--out', out, '--json']);
    const summary = JSON.parse(printed) as {
      html: string;
      svgs: string[];
      runs: number;
      simulated: boolean;
    };
    expect(summary).toMatchObject({ runs: 2, simulated: true });
    expect(summary.svgs).toHaveLength(4);
    expect(readFileSync(summary.html, 'utf8')).toContain('baseline');
  });

  it('refuses a store that does not exist rather than create an empty one', async () => {
    const program = new Command().exitOverride();
    registerReport(program);
    await expect(
      program.parseAsync(['report', '--db', join(dir, 'missing.db'), '--out', join(dir, 'x')], {
        from: 'user',
      }),
    ).rejects.toThrow(/missing\.db/);
  });
});
