/** `slicetune devices`: the GPUs (or the simulated one) and which slice mechanisms work there. */
import type { Command } from 'commander';
import { type DeviceChoice, probeDevices } from '../../gpu/device.js';
import { deviceOption, jsonOption } from '../options.js';
import { emit, table } from '../output.js';

export function register(program: Command): void {
  program
    .command('devices')
    .description('list the GPUs and the slice mechanisms they support')
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (opts: { device: DeviceChoice; json?: boolean }) => {
      const probe = await probeDevices(opts.device);
      emit(probe, opts, () => {
        const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
        const rows = probe.devices.map((d) => [
          d.index,
          d.simulated ? `${d.name} [simulated]` : d.name,
          d.arch,
          d.sms,
          `${Math.round(d.sharedMemPerBlockOptin / 1024)} KiB`,
          `${Math.round(d.l2Bytes / 2 ** 20)} MiB`,
          gib(d.memoryBytes),
          d.driverVersion,
        ]);
        const m = probe.mechanisms;
        const mech = (ok: boolean, why: string) => (ok ? `yes${why ? ` (${why})` : ''}` : `no: ${why}`);
        return [
          `backend: ${probe.backend} (${probe.reason})`,
          table([['#', 'device', 'arch', 'SMs', 'smem/block', 'L2', 'memory', 'driver'], ...rows]),
          '',
          'slice mechanisms:',
          `  exclusive  yes`,
          `  timeslice  yes`,
          `  green      ${mech(m.green.supported, m.green.why)}`,
          `  mps        ${mech(m.mps.supported, m.mps.why)}`,
        ].join('\n');
      });
    });
}
