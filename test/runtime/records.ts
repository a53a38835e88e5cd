/** Tuning records for the runtime tests: a config per task at a share, as a tuning run leaves them. */
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import { RECORD_FORMAT_VERSION, type TuningRecord } from '../../src/records/types.js';
import { provenanceOf } from '../../src/sharing/task-tuner.js';
import type { Config } from '../../src/space/types.js';
import { getTemplate, type Task } from '../../src/templates/index.js';
import { Rng } from '../../src/util/rng.js';

export interface RecordSpec {
  task: Task;
  percent: number;
  medianMs: number;
  /** Another template than the task's (e.g. a TF32 one). */
  template?: string;
  seed?: number;
}

/** A successful record of a sampled valid config (so it is not the default config). */
export function recordFor(spec: RecordSpec): TuningRecord {
  const device = SIM_DEVICE_INFO;
  const templateName = spec.template ?? spec.task.template;
  const template = getTemplate(templateName);
  const space = template.space(spec.task.workload, device);
  const config: Config = space.sample(new Rng(spec.seed ?? 3));
  const sms = spec.percent >= 100 ? device.sms : Math.floor((spec.percent * device.sms) / 200) * 2;
  return {
    formatVersion: RECORD_FORMAT_VERSION,
    taskKey: `${spec.task.workloadKey}|${templateName}`,
    workloadKey: spec.task.workloadKey,
    template: templateName,
    config,
    configKey: space.key(config),
    slice: { mechanism: spec.percent >= 100 ? 'exclusive' : 'green', sms, percent: spec.percent },
    result: {
      ok: true,
      timesMs: [spec.medianMs],
      medianMs: spec.medianMs,
      compileMs: 1,
      checked: true,
      maxRelError: 0,
      binaryHash: `h${spec.seed ?? 3}`,
      registers: 32,
    },
    provenance: provenanceOf(device),
    timestamp: 1_700_000_000_000,
    runId: 'runtime-test',
  };
}
