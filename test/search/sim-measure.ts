/**
 * The simulated GPU as a Measurer for the search tests: template.space -> config ->
 * template.generate -> simulateKernelTime on a slice's SMs, times seeded noise. It never stands
 * in for a measured claim; it gives the search a landscape shaped like a GPU's.
 */
import { grantedSms, SIM_DEVICE_INFO, simulateKernelTime } from '../../src/gpu/sim/index.js';
import type { MeasureResult } from '../../src/measure/types.js';
import type { Workload } from '../../src/ops/index.js';
import type { Measurer } from '../../src/search/types.js';
import { defineSpace } from '../../src/space/index.js';
import type { Config, ConfigSpace, Knob } from '../../src/space/types.js';
import { getTemplate } from '../../src/templates/index.js';
import { hashOf } from '../../src/util/hash.js';
import { Rng } from '../../src/util/rng.js';

const NOISE_SIGMA = 0.01;

export interface SimTask {
  space: ConfigSpace;
  /** Noise-free simulated ms of a config (Infinity when it cannot launch). */
  timeOf: (config: Config) => number;
  measure: Measurer;
}

export function simTask(workload: Workload, templateName: string, percent: number, noiseSeed = 1): SimTask {
  const template = getTemplate(templateName);
  const device = SIM_DEVICE_INFO;
  const space = template.space(workload, device);
  const sms = grantedSms({ mechanism: 'green', percent }, device);
  const timeOf = (config: Config): number =>
    simulateKernelTime(template.generate(workload, config, device), device, sms);
  const resultOf = (config: Config): MeasureResult => {
    const ms = timeOf(config);
    if (!Number.isFinite(ms)) return { ok: false, kind: 'resources', message: 'cannot launch', compileMs: 1 };
    const seed = Number.parseInt(hashOf(String(noiseSeed), space.key(config)).slice(0, 8), 16);
    const noisy = ms * Math.exp(NOISE_SIGMA * new Rng(seed).normal());
    return {
      ok: true,
      timesMs: [noisy],
      medianMs: noisy,
      compileMs: 1,
      checked: true,
      maxRelError: 0,
      binaryHash: space.key(config),
      registers: 32,
    };
  };
  return {
    space,
    timeOf,
    measure: async (configs) => configs.map((config) => ({ config, result: resultOf(config) })),
  };
}

/**
 * A template's space cut down to an enumerable size by narrowing its knobs (vthreads off, fewer
 * choices...), checked by the full space's validity: a small space with a real landscape.
 */
export function narrowedSimTask(
  workload: Workload,
  templateName: string,
  percent: number,
  narrow: (knob: Knob) => Knob,
): SimTask {
  const full = simTask(workload, templateName, percent);
  const space = defineSpace({
    name: `narrowed ${templateName}`,
    knobs: full.space.knobs.map(narrow),
    constraints: [(c) => full.space.invalidReason(c)],
  });
  return { ...full, space };
}
