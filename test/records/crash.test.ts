/**
 * A tuning process killed with SIGKILL mid-run leaves a store that opens cleanly, holds every
 * batch it reported committed and no partial batch, and a resumed run completes it without
 * duplicates. The writer is a real child process using the real RecordStore.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RecordStore } from '../../src/records/store.js';
import { makeRecord } from './helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/writer.mjs', import.meta.url));
const BATCH = 200;
/** Commits to see before the kill; the child keeps writing until the signal lands. */
const KILL_AFTER = 8;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slicetune-crash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer, SIGKILLs it after KILL_AFTER reported commits; returns the batches it reported. */
async function runAndKill(dbPath: string, runId: string): Promise<number[]> {
  const child = spawn(process.execPath, [WRITER, dbPath, String(BATCH), runId], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const reported: number[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^committed (\d+)$/.exec(line);
    if (!match) continue;
    reported.push(Number(match[1]));
    if (reported.length === KILL_AFTER) child.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`writer ended without the kill (signal ${signal}): ${stderr}`);
  return reported;
}

it('survives SIGKILL mid-run: opens cleanly, loses and duplicates nothing, resumes', async () => {
  const dbPath = join(dir, 'crash.db');
  const reported = await runAndKill(dbPath, 'run-crash');
  expect(reported.length).toBeGreaterThanOrEqual(KILL_AFTER);

  const store = RecordStore.open(dbPath);
  try {
    expect(store.integrityProblems()).toEqual([]);
    const stored = store.query({ runId: 'run-crash' });
    const keys = stored.map((r) => r.configKey);
    expect(new Set(keys).size).toBe(keys.length);
    // Whole batches only (each was one transaction), and at least every batch reported committed.
    expect(stored.length % BATCH).toBe(0);
    const batches = stored.length / BATCH;
    expect(batches).toBeGreaterThanOrEqual(Math.max(...reported) + 1);
    const expectedKeys = Array.from({ length: stored.length }, (_, i) => `cfg${i}`);
    expect(new Set(keys)).toEqual(new Set(expectedKeys));
    expect(store.listRuns()).toMatchObject([{ runId: 'run-crash', status: 'running' }]);

    // Resume: the run must end with `batches + 2` batches, measuring only what is missing.
    const probe = makeRecord({ index: 0, runId: 'run-crash' });
    const measured = store.measuredConfigKeys(probe.taskKey, probe.slice, probe.provenance.deviceName);
    expect(measured.size).toBe(stored.length);
    const goal = Array.from({ length: (batches + 2) * BATCH }, (_, index) =>
      makeRecord({ index, runId: 'run-crash' }),
    );
    const missing = goal.filter((r) => !measured.has(r.configKey));
    expect(missing).toHaveLength(2 * BATCH);
    store.startRun('run-crash', { batchSize: BATCH, resumed: true });
    expect(store.add(missing)).toBe(missing.length);
    // Re-adding everything (a resume that forgot to skip) still stores nothing twice.
    expect(store.add(goal)).toBe(0);
    store.finishRun('run-crash', 'finished');
    expect(store.count({ runId: 'run-crash' })).toBe(goal.length);
    expect(store.listRuns()).toMatchObject([
      { runId: 'run-crash', status: 'finished', records: goal.length },
    ]);
  } finally {
    store.close();
  }
});
