/** What the sharing planner needs from a device probe, as the benchmarks that plan runs pass it. */
import { availableParallelism } from 'node:os';
import type { DeviceProbe } from '../../src/gpu/device.js';

export function planInputs(probe: DeviceProbe, share: number, tasks: number, batchSize: number) {
  return {
    share,
    deviceSms: probe.devices[0]?.sms ?? 132,
    cpuCores: availableParallelism(),
    tasks,
    green: probe.mechanisms.green.supported,
    mps: probe.mechanisms.mps.supported,
    batchSize,
  };
}
