/** `slicetune serve`: the tuning service with its live dashboard, until Ctrl-C. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DeviceChoice } from '../../gpu/device.js';
import { RecordStore } from '../../records/store.js';
import { checkListenAllowed } from '../../service/auth.js';
import { DEFAULT_HOST, DEFAULT_PORT, startService } from '../../service/server.js';
import { SlicetuneError } from '../../util/errors.js';
import { deviceOption } from '../options.js';

interface ServeOptions {
  host: string;
  port: number;
  token?: string;
  db?: string;
  device: DeviceChoice;
  gpuShareLimit: number;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the tuning service: jobs from several users on one GPU, and a live dashboard')
    .option('--host <address>', 'address to listen on (any but loopback needs --token)', DEFAULT_HOST)
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, DEFAULT_PORT)
    .option('--token <secret>', 'bearer token every API request must carry (default: $SLICETUNE_TOKEN)')
    .option('--db <file>', 'tuning record store (default: $SLICETUNE_DB, else ./slicetune.db)')
    .addOption(deviceOption())
    .option(
      '--gpu-share-limit <percent>',
      'share of the GPU the service hands out to jobs at once',
      parseShareLimit,
      100,
    )
    .action(async (o: ServeOptions) => {
      const token = o.token ?? process.env.SLICETUNE_TOKEN;
      // Refuse an open address before touching the record store.
      checkListenAllowed(o.host, token);
      const db = resolve(o.db ?? process.env.SLICETUNE_DB ?? 'slicetune.db');
      const store = RecordStore.open(db);
      let service: Awaited<ReturnType<typeof startService>>;
      try {
        service = await startService({
          store,
          host: o.host,
          port: o.port,
          token,
          device: o.device,
          shareLimit: o.gpuShareLimit,
        });
      } catch (e) {
        store.close();
        throw e;
      }
      const device = service.manager.device;
      process.stderr.write(
        [
          `slicetune service on ${service.url} (records in ${db})`,
          `device: ${device.name}${device.simulated ? ' [SIMULATED GPU: analytical model, not a measurement]' : ''}`,
          `dashboard: ${service.url}/${token === undefined ? '' : '#token=<token>'}`,
          'Ctrl-C stops it (running jobs are cancelled; their records stay)',
          '',
        ].join('\n'),
      );
      await new Promise<void>((done) => {
        const stop = () => {
          process.stderr.write('stopping: cancelling jobs...\n');
          service
            .close()
            .finally(() => store.close())
            .then(done, done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SlicetuneError('BAD_OPTION', `--port must be an integer from 0 to 65535, got '${value}'`);
  }
  return port;
}

function parseShareLimit(value: string): number {
  const percent = Number(value);
  if (value.trim() === '' || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `--gpu-share-limit must be a percentage in (0, 100], got '${value}'`,
    );
  }
  return percent;
}
