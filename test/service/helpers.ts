/** A tuning service on the simulated GPU (no sleeping), on a free loopback port, with its own store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordStore } from '../../src/records/store.js';
import { type RunningService, type ServiceOptions, startService } from '../../src/service/server.js';

export interface TestService {
  service: RunningService;
  store: RecordStore;
  url: string;
  stop(): Promise<void>;
}

export async function startTestService(options: Partial<ServiceOptions> = {}): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), 'slicetune-service-'));
  const store = RecordStore.open(join(dir, 'records.db'));
  const service = await startService({
    store,
    port: 0,
    device: 'sim',
    backendOptions: { timeScale: 0 },
    ...options,
  });
  return {
    service,
    store,
    url: service.url,
    async stop() {
      await service.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small model: bert_encoder has 6 tasks. */
export const SMALL_JOB = { model: 'bert_encoder', share: 50, servers: 1, trials: 3 };

export async function request(
  url: string,
  path: string,
  init: { method?: string; body?: string; token?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(new URL(path, url), {
    method: init.method ?? 'GET',
    body: init.body,
    headers,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
