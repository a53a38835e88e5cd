/**
 * `slicetune space <op> <shape...>`: the templates that can compute a workload, the size of each
 * one's config space (raw, and valid under the device's limits) and its default config.
 */
import { type Command, Option } from 'commander';
import { type DeviceChoice, probeDevices } from '../../gpu/device.js';
import type { DeviceInfo } from '../../gpu/types.js';
import { formatWorkload, parseWorkload, SHAPE_OPS, workloadKey } from '../../ops/index.js';
import type { Config } from '../../space/index.js';
import { templatesFor } from '../../templates/index.js';
import { deviceOption, jsonOption } from '../options.js';
import { emit, table } from '../output.js';

/** Spaces up to this many raw points are counted exactly; larger ones are estimated by sampling. */
const EXACT_LIMIT = 200_000;

export interface SpaceReport {
  workload: string;
  key: string;
  device: { name: string; simulated: boolean };
  templates: {
    name: string;
    tensorCore: boolean;
    description: string;
    rawSize: number;
    validSize: number;
    exact: boolean;
    defaultConfig: Config;
  }[];
}

export function spaceReport(op: string, shape: string, device: DeviceInfo, tensorCore: boolean): SpaceReport {
  const w = parseWorkload(op, shape);
  return {
    workload: formatWorkload(w),
    key: workloadKey(w),
    device: { name: device.name, simulated: device.simulated },
    templates: templatesFor(w, { tensorCore }).map((t) => {
      const space = t.space(w, device);
      const valid = space.validSize({ exactLimit: EXACT_LIMIT });
      return {
        name: t.name,
        tensorCore: t.tensorCore,
        description: t.description,
        rawSize: space.rawSize,
        validSize: valid.count,
        exact: valid.exact,
        defaultConfig: t.defaultConfig(w, device),
      };
    }),
  };
}

function configText(c: Config): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
    .join(' ');
}

function render(r: SpaceReport): string {
  const rows = r.templates.map((t) => [
    t.tensorCore ? `${t.name} [tensor core, TF32]` : t.name,
    t.rawSize,
    t.exact ? t.validSize : `~${t.validSize}`,
    configText(t.defaultConfig),
  ]);
  const limits = r.device.simulated ? '(limits of the simulated H100)' : `(limits of ${r.device.name})`;
  return [
    `${r.workload}  [${r.key}]`,
    `valid configs ${limits}; ~ marks an estimate from a sample`,
    table([['template', 'raw configs', 'valid configs', 'default config'], ...rows]),
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('space')
    .description('list the templates for an operator shape, their config-space sizes and default configs')
    .argument('<op>', `operator: ${SHAPE_OPS.join(', ')}`)
    .argument('<shape...>', 'shape as key=value pairs, e.g. n=1,c=64,h=56,w=56,k=64,r=3,s=3,stride=1,pad=1')
    .addOption(deviceOption())
    .addOption(new Option('--tensor-core', 'include TF32 tensor-core templates (numerics differ from fp32)'))
    .addOption(jsonOption())
    .action(
      async (
        op: string,
        shape: string[],
        opts: { device: DeviceChoice; tensorCore?: boolean; json?: boolean },
      ) => {
        const probe = await probeDevices(opts.device);
        const device = probe.devices[0];
        if (!device) throw new Error(`backend ${probe.backend} reported no device`);
        const report = spaceReport(op, shape.join(','), device, opts.tensorCore ?? false);
        emit(report, opts, () => render(report));
      },
    );
}
