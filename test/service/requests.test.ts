import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as registerServe } from '../../src/cli/commands/serve.js';
import { RecordStore } from '../../src/records/store.js';
import { checkListenAllowed, isLoopbackHost } from '../../src/service/auth.js';
import { submitJob } from '../../src/service/client.js';
import { startService } from '../../src/service/server.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { request, SMALL_JOB, startTestService, type TestService } from './helpers.js';

const post = (t: TestService, body: string, token?: string) =>
  request(t.url, '/api/jobs', { method: 'POST', body, token });

/** Nothing changed: no job in the service, no run and no record in the store. */
async function expectNothingChanged(t: TestService, token?: string): Promise<void> {
  const jobs = await request(t.url, '/api/jobs', { token });
  expect(jobs.body.jobs).toEqual([]);
  expect(t.store.count()).toBe(0);
  expect(t.store.listRuns()).toEqual([]);
}

describe('bad job requests get a 4xx naming the problem and change nothing', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(() => t.stop());

  const cases: [string, string, RegExp, string | undefined][] = [
    ['malformed JSON', '{"model": "resnet18", "share": 25,', /not valid JSON/, undefined],
    ['an empty body', '', /body is empty/, undefined],
    ['a JSON array', '[1, 2]', /must be a JSON object/, undefined],
    [
      'an unknown model',
      JSON.stringify({ ...SMALL_JOB, model: 'resnet9000' }),
      /unknown model 'resnet9000'.*resnet18/,
      'model',
    ],
    [
      'a share of 0',
      JSON.stringify({ ...SMALL_JOB, share: 0 }),
      /share must be a percentage .*\(0, 100\], got 0/,
      'share',
    ],
    [
      'a share of 150',
      JSON.stringify({ ...SMALL_JOB, share: 150 }),
      /share must be a percentage .*got 150/,
      'share',
    ],
    [
      'a share given as text',
      JSON.stringify({ ...SMALL_JOB, share: '25' }),
      /share must be .*got "25"/,
      'share',
    ],
    [
      'no trials',
      JSON.stringify({ model: 'resnet18', share: 25 }),
      /trials must be .*it is missing/,
      'trials',
    ],
    [
      'fractional trials',
      JSON.stringify({ ...SMALL_JOB, trials: 2.5 }),
      /trials must be .*integer/,
      'trials',
    ],
    [
      'an unknown strategy',
      JSON.stringify({ ...SMALL_JOB, strategy: 'magic' }),
      /strategy must be one of random, grid, ga, model/,
      'strategy',
    ],
    [
      'an unknown measurement protocol',
      JSON.stringify({ ...SMALL_JOB, measure: 'slow' }),
      /measure must be one of quick, autotvm, got "slow"/,
      'measure',
    ],
    [
      'an unknown field',
      JSON.stringify({ ...SMALL_JOB, shares: 25 }),
      /unknown field 'shares' \(accepted: model, share,/,
      'shares',
    ],
    [
      'exclusive below 100%',
      JSON.stringify({ ...SMALL_JOB, sharing: 'exclusive' }),
      /sharing exclusive gives the whole GPU but share is 50%/,
      'sharing',
    ],
  ];
  it.each(cases)('%s', async (_name, body, message, field) => {
    const response = await post(t, body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(message);
    expect(response.body.field).toBe(field);
    await expectNothingChanged(t);
  });

  it('answers unknown jobs, paths and methods with 404/405 JSON', async () => {
    expect((await request(t.url, '/api/jobs/nope')).status).toBe(404);
    expect((await request(t.url, '/api/nothing')).body.error).toMatch(/no API endpoint/);
    const put = await request(t.url, '/api/jobs', { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.body.error).toMatch(/allowed: GET, POST/);
  });

  it('the client turns a refusal into a SlicetuneError carrying the service message', async () => {
    await expect(submitJob(t.url, { ...SMALL_JOB, share: 150 })).rejects.toThrow(
      /refused POST \/api\/jobs \(400\): share must be/,
    );
  });
});

describe('a service with a token', () => {
  const token = 'correct-horse-battery';
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService({ token });
  });
  afterAll(() => t.stop());

  it('refuses API requests without the token or with another, and creates nothing', async () => {
    const missing = await post(t, JSON.stringify(SMALL_JOB));
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatch(/Authorization: Bearer/);
    const wrong = await post(t, JSON.stringify(SMALL_JOB), 'guess');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatch(/not this service's token/);
    expect((await request(t.url, '/api/state')).status).toBe(401);
    await expectNothingChanged(t, token);
  });

  it('accepts requests with the token, and serves the dashboard page (which holds no data) to anyone', async () => {
    const state = await request(t.url, '/api/state', { token });
    expect(state.status).toBe(200);
    const page = await fetch(t.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/api/state');
  });
});

describe('where the service may listen', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.org', '128.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
    expect(() => checkListenAllowed('0.0.0.0', 'secret')).not.toThrow();
    expect(() => checkListenAllowed('127.0.0.1', '  ')).toThrow(/--token must not be empty/);
  });

  it('refuses to start on a non-loopback address without a token', async () => {
    const store = RecordStore.open(':memory:');
    try {
      await startService({ store, host: '0.0.0.0', port: 0, device: 'sim' });
      expect.unreachable();
    } catch (e) {
      expect(isSlicetuneError(e, 'BAD_OPTION')).toBe(true);
      expect((e as Error).message).toMatch(/refusing to listen on 0\.0\.0\.0 without a token.*--token/);
    } finally {
      store.close();
    }
  });

  it('`slicetune serve --host 0.0.0.0` without a token stops before opening anything', async () => {
    const program = new Command().exitOverride();
    registerServe(program);
    const saved = process.env.SLICETUNE_TOKEN;
    delete process.env.SLICETUNE_TOKEN;
    const dir = mkdtempSync(join(tmpdir(), 'slicetune-serve-'));
    const db = join(dir, 'records.db');
    try {
      await expect(
        program.parseAsync(['serve', '--host', '0.0.0.0', '--device', 'sim', '--db', db], { from: 'user' }),
      ).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without a token/);
      expect(existsSync(db)).toBe(false);
    } finally {
      if (saved !== undefined) process.env.SLICETUNE_TOKEN = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
