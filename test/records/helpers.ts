/** Test records: deterministic, valid TuningRecords that differ where a test needs them to. */
import type { SliceMechanism } from '../../src/gpu/types.js';
import type { FailureKind } from '../../src/measure/types.js';
import { RECORD_FORMAT_VERSION, type TuningRecord } from '../../src/records/types.js';

export interface RecordSpec {
  workload?: string;
  template?: string;
  /** Distinguishes configs: the config is { tile: [index, 4], unroll: index % 2 === 0 }. */
  index?: number;
  percent?: number;
  sms?: number;
  mechanism?: SliceMechanism;
  medianMs?: number;
  failure?: FailureKind;
  device?: string;
  runId?: string;
  timestamp?: number;
}

export function makeRecord(spec: RecordSpec = {}): TuningRecord {
  const workload = spec.workload ?? 'conv2d_n1_c64_h56_w56_k64_r3';
  const template = spec.template ?? 'conv2d_direct';
  const index = spec.index ?? 0;
  const percent = spec.percent ?? 100;
  const medianMs = spec.medianMs ?? 1 + index / 10;
  return {
    formatVersion: RECORD_FORMAT_VERSION,
    taskKey: `${workload}|${template}`,
    workloadKey: workload,
    template,
    config: { tile: [index, 4], unroll: index % 2 === 0, vector: 'f32x4' },
    configKey: `cfg${index}`,
    slice: {
      mechanism: spec.mechanism ?? 'green',
      sms: spec.sms ?? Math.round((132 * percent) / 100),
      percent,
    },
    result:
      spec.failure === undefined
        ? {
            ok: true,
            timesMs: [medianMs * 1.01, medianMs, medianMs * 0.99],
            medianMs,
            compileMs: 120 + index,
            checked: true,
            maxRelError: 1e-6,
            binaryHash: `bin${index}`,
            registers: 64,
          }
        : { ok: false, kind: spec.failure, message: `${spec.failure} failure of cfg${index}`, compileMs: 30 },
    provenance: {
      deviceName: spec.device ?? 'Simulated H100 SXM',
      arch: 'sm_90',
      driverVersion: '13.0',
      cudaVersion: '13.0',
      slicetuneVersion: '0.1.0',
      simulated: true,
    },
    timestamp: spec.timestamp ?? 1_700_000_000_000 + index,
    runId: spec.runId ?? 'run-a',
  };
}

/** `count` records of one task and slice, configs 0..count-1. */
export function makeRecords(count: number, spec: Omit<RecordSpec, 'index'> = {}): TuningRecord[] {
  return Array.from({ length: count }, (_, index) => makeRecord({ ...spec, index }));
}
