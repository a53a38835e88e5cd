/** Templates: CUDA C from (workload, config), and the Task a tuner works on. */
import type { DeviceInfo, KernelSource } from '../gpu/types.js';
import type { OpKind, Workload } from '../ops/types.js';
import type { Config, ConfigSpace } from '../space/types.js';

export interface Template {
  /** Stable name, part of every record key, e.g. `conv2d_direct`. */
  readonly name: string;
  readonly op: OpKind;
  readonly description: string;
  /** TF32 tensor cores: numerics differ from fp32, so opt-in only and marked in records. */
  readonly tensorCore: boolean;
  /** Whether this template can compute the workload (e.g. depthwise only for groups = c = k). */
  applies(workload: Workload): boolean;
  /** The config space for this workload on this device (validity uses the device's limits). */
  space(workload: Workload, device: DeviceInfo): ConfigSpace;
  /** A valid, sensible config for any shape: what an untuned model runs. */
  defaultConfig(workload: Workload, device: DeviceInfo): Config;
  generate(workload: Workload, config: Config, device: DeviceInfo): KernelSource;
}

/** A tuning task: a workload, the template that tunes it, and how often it occurs in the model. */
export interface Task {
  /** `${workloadKey}|${templateName}`. */
  readonly key: string;
  readonly workload: Workload;
  readonly workloadKey: string;
  readonly template: string;
  readonly weight: number;
}
