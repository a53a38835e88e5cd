/** A record store with a baseline run and a shared run of two real workloads, built record by record. */
import type { FailureKind } from '../../src/measure/types.js';
import {
  conv2dWorkload,
  denseWorkload,
  type Workload,
  workloadFlops,
  workloadKey,
} from '../../src/ops/index.js';
import type { RecordStore } from '../../src/records/store.js';
import { RECORD_FORMAT_VERSION, type TuningRecord } from '../../src/records/types.js';

export const CONV = conv2dWorkload(
  { n: 1, c: 64, h: 56, w: 56, k: 64, r: 3, s: 3, padH: 1, padW: 1 },
  {
    bias: true,
    activation: 'relu',
  },
);
export const DENSE = denseWorkload({ m: 1, n: 1000, k: 512 }, { bias: true });

export const TASKS = [
  { workload: CONV, template: 'conv2d_direct', weight: 3 },
  { workload: DENSE, template: 'dense_tiled', weight: 1 },
].map((t) => ({ ...t, key: `${workloadKey(t.workload)}|${t.template}`, flops: workloadFlops(t.workload) }));

export interface Measurement {
  task: 0 | 1;
  ms?: number;
  failure?: FailureKind;
  /** Seconds after the run started. */
  at: number;
}

export function record(runId: string, started: number, m: Measurement, index: number): TuningRecord {
  const task = TASKS[m.task] as (typeof TASKS)[number];
  const workload: Workload = task.workload;
  return {
    formatVersion: RECORD_FORMAT_VERSION,
    taskKey: task.key,
    workloadKey: workloadKey(workload),
    template: task.template,
    config: { tile: index },
    configKey: `${runId}-cfg${index}`,
    slice: { mechanism: runId === 'baseline' ? 'exclusive' : 'green', sms: 33, percent: 25 },
    result:
      m.failure === undefined
        ? {
            ok: true,
            timesMs: [m.ms ?? 1],
            medianMs: m.ms ?? 1,
            compileMs: 10,
            checked: true,
            maxRelError: 0,
            binaryHash: `b${index}`,
            registers: 32,
          }
        : { ok: false, kind: m.failure, message: `${m.failure} in cfg${index}`, compileMs: 5 },
    provenance: {
      deviceName: 'Simulated H100 (analytical model)',
      arch: 'sm_90',
      driverVersion: 'sim',
      cudaVersion: 'sim',
      slicetuneVersion: '0.1.0',
      simulated: true,
    },
    timestamp: started + m.at * 1000,
    runId,
  };
}

export const BASELINE: Measurement[] = [
  { task: 0, ms: 0.5, at: 2 },
  { task: 0, failure: 'compile', at: 2 },
  { task: 1, ms: 0.2, at: 4 },
  { task: 0, ms: 0.4, at: 6 },
  { task: 1, failure: 'resources', at: 8 },
];

export const SHARED: Measurement[] = [
  { task: 0, ms: 0.45, at: 1 },
  { task: 1, ms: 0.1, at: 1 },
  { task: 0, ms: 0.3, at: 2 },
  { task: 1, failure: 'wrong', at: 3 },
];

/** Fills the store: runs 'baseline' and 'shared', started `started`, with task weights in their options. */
export function fillStore(store: RecordStore, started = Date.now()): void {
  const tasks = TASKS.map((t) => ({ key: t.key, weight: t.weight, flops: t.flops }));
  for (const [runId, measurements, baseline] of [
    ['baseline', BASELINE, true],
    ['shared', SHARED, false],
  ] as const) {
    store.startRun(runId, {
      model: 'twotask',
      share: 25,
      baseline,
      plan: {
        mode: baseline ? 'baseline' : 'shared',
        mechanism: baseline ? 'exclusive' : 'green',
        servers: baseline ? 1 : 4,
        clients: baseline ? 1 : 2,
      },
      tasks,
    });
    store.add(measurements.map((m, i) => record(runId, started, m, i)));
    store.finishRun(runId);
  }
}

/** A tuned-at x run-at matrix as `slicetune sweep` would give it (made up, marked simulated). */
export const MATRIX = {
  model: 'resnet18',
  shares: [100, 50, 25],
  latencyMs: [
    [1.0, 1.9, 3.9],
    [1.1, 1.8, 3.5],
    [1.3, 2.0, 3.2],
  ],
  peer: [
    { share: 100, ms: 1.2 },
    { share: 25, ms: 4.1 },
  ],
  simulated: true,
};
