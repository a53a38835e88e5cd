import { afterEach, describe, expect, it } from 'vitest';
import { cancelJob, followJob, getJob, submitJob } from '../../src/service/client.js';
import type { JobEvent } from '../../src/service/job.js';
import type { ServiceState } from '../../src/service/state.js';
import { request, SMALL_JOB, startTestService, type TestService } from './helpers.js';

let t: TestService | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe('the tuning service on the simulated GPU', () => {
  it('runs two jobs sent at once side by side, and both finish with their records', async () => {
    t = await startTestService();
    const { url, store } = t;
    // Different shares: records of one task, config and slice are stored once, so two identical
    // jobs would share their measurements.
    const [a, b] = await Promise.all([
      submitJob(url, { ...SMALL_JOB, user: 'alice' }),
      submitJob(url, { ...SMALL_JOB, share: 40, user: 'bob', measure: 'autotvm' }),
    ]);
    // 50% + 40% fit in the GPU: neither waits.
    expect([a.status, b.status]).toEqual(['running', 'running']);
    const events: Record<string, JobEvent[]> = { [a.id]: [], [b.id]: [] };
    const ends = await Promise.all(
      [a, b].map((job) => followJob(url, job.id, (e) => events[job.id]?.push(e))),
    );
    expect(ends).toEqual([{ status: 'finished' }, { status: 'finished' }]);
    for (const job of [a, b]) {
      const types = new Set(events[job.id]?.map((e) => e.type));
      expect([...types]).toEqual(expect.arrayContaining(['start', 'task', 'estimate', 'occupancy', 'done']));
      expect(store.count({ runId: job.id })).toBeGreaterThanOrEqual(6 * SMALL_JOB.trials);
      expect(store.listRuns().find((r) => r.runId === job.id)?.status).toBe('finished');
      const summary = await getJob(url, job.id);
      expect(summary.trials.done).toBe(summary.trials.total);
      expect(summary.estimatedModelMs).toBeGreaterThan(0);
    }
    // Each job is timed by its own protocol: quick keeps 5 timings per config, autotvm 3.
    const repeats = (runId: string) =>
      new Set(store.query({ runId }).flatMap((r) => (r.result.ok ? [r.result.timesMs.length] : [])));
    expect([...repeats(a.id)]).toEqual([5]);
    expect([...repeats(b.id)]).toEqual([3]);
    const optionsOf = (runId: string) =>
      store.listRuns().find((r) => r.runId === runId)?.options as {
        measureOptions?: { minRepeatMs: number };
      };
    expect(optionsOf(a.id).measureOptions?.minRepeatMs).toBe(0);
    expect(optionsOf(b.id).measureOptions?.minRepeatMs).toBe(150);
    const state = (await request(url, '/api/state')).body as unknown as ServiceState;
    expect(state.service.simulated).toBe(true);
    expect(state.service.shareInUse).toBe(0);
    expect(state.curves.map((c) => c.jobId).sort()).toEqual([a.id, b.id].sort());
    for (const curve of state.curves) {
      expect(curve.points.length).toBeGreaterThan(0);
      const seconds = curve.points.map((p) => p[0]);
      expect(seconds).toEqual([...seconds].sort((x, y) => x - y));
      for (const [, ms] of curve.points) expect(ms).toBeGreaterThan(0);
      const job = state.jobs.find((j) => j.id === curve.jobId);
      expect(curve.points.at(-1)?.[1]).toBe(job?.estimatedModelMs);
    }
  });

  it('queues a job that does not fit in the GPU and starts it when the share frees', async () => {
    t = await startTestService();
    const { url, store } = t;
    const big = await submitJob(url, { ...SMALL_JOB, share: 60, trials: 100_000 });
    const waiting = await submitJob(url, { ...SMALL_JOB, share: 60 });
    expect(big.status).toBe('running');
    expect(waiting.status).toBe('queued');
    const state = (await request(url, '/api/state')).body as unknown as ServiceState;
    expect(state.service.shareInUse).toBe(60);
    expect(state.service.queued).toBe(1);
    expect(state.jobs.find((j) => j.id === waiting.id)?.queuePosition).toBe(1);
    expect(store.count({ runId: waiting.id })).toBe(0);

    // Cancel the big one once it has measured something: it stops, and the queued job runs.
    await new Promise<void>((resolve) => {
      followJob(url, big.id, (e) => {
        if (e.type === 'task') resolve();
      }).catch(() => undefined);
    });
    const cancelling = await cancelJob(url, big.id);
    expect(cancelling.status).toBe('running');
    expect(await followJob(url, big.id, () => undefined)).toEqual({ status: 'cancelled' });
    expect(store.listRuns().find((r) => r.runId === big.id)?.status).toBe('stopped');
    expect(await followJob(url, waiting.id, () => undefined)).toEqual({ status: 'finished' });
    expect(store.count({ runId: waiting.id })).toBeGreaterThan(0);
    expect(store.count({ runId: big.id })).toBeLessThan(6 * 100_000);
  });

  it('cancels a queued job at once: it never runs and records nothing', async () => {
    t = await startTestService({ shareLimit: 50 });
    const { url, store } = t;
    const first = await submitJob(url, SMALL_JOB);
    const second = await submitJob(url, SMALL_JOB);
    expect(second.status).toBe('queued');
    const cancelled = await cancelJob(url, second.id);
    expect(cancelled.status).toBe('cancelled');
    const again = await request(url, `/api/jobs/${second.id}`, { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already ended \(cancelled\)/);
    expect(await followJob(url, first.id, () => undefined)).toEqual({ status: 'finished' });
    expect(store.count({ runId: second.id })).toBe(0);
    expect(store.listRuns().map((r) => r.runId)).toEqual([first.id]);
  });

  it('refuses a job whose slices can never fit under the share limit', async () => {
    t = await startTestService({ shareLimit: 50 });
    const refused = await request(t.url, '/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ ...SMALL_JOB, servers: 2 }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.field).toBe('servers');
    expect(refused.body.error).toMatch(/needs 100% of the GPU .* at most 50%/);
  });
});
