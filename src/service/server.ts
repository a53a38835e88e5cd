/**
 * `slicetune serve`: the tuning service on Node's http module. Loopback by default; any other
 * address needs a token. Closing it cancels the jobs and waits for their tuners to stop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BackendOptions } from '../gpu/backend.js';
import type { DeviceChoice } from '../gpu/device.js';
import type { RecordStore } from '../records/store.js';
import { SlicetuneError } from '../util/errors.js';
import { checkListenAllowed } from './auth.js';
import { JobManager, type Tuner } from './job-manager.js';
import { createHandler } from './routes.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8417;

export interface ServiceOptions {
  store: RecordStore;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  device?: DeviceChoice;
  shareLimit?: number;
  backendOptions?: BackendOptions;
  tuner?: Tuner;
}

export interface RunningService {
  url: string;
  manager: JobManager;
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const host = options.host ?? DEFAULT_HOST;
  checkListenAllowed(host, options.token);
  const manager = await JobManager.create({
    store: options.store,
    device: options.device ?? 'auto',
    shareLimit: options.shareLimit,
    backendOptions: options.backendOptions,
    tuner: options.tuner,
  });
  const server = createServer(createHandler(manager, options.token));
  const port = options.port ?? DEFAULT_PORT;
  try {
    await listen(server, host, port);
  } catch (e) {
    await manager.close();
    throw new SlicetuneError('BAD_OPTION', `cannot listen on ${host}:${port}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${address.port}`,
    manager,
    async close() {
      await manager.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
