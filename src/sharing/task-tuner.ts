/**
 * A tuning client's work on one task: propose configs (search), write their CUDA (templates),
 * build and measure them on a slice (measure), record every result (records) and learn. A run
 * resumes from the store: configs already measured for this task, slice and device are never
 * measured again. With transfer on, the cost model starts from records of this workload at
 * other shares and of similar workloads.
 */
import type { DeviceInfo, Slice } from '../gpu/types.js';
import type { MeasureSession } from '../measure/session.js';
import type { MeasureOptions } from '../measure/types.js';
import { toleranceFor } from '../ops/index.js';
import type { RecordStore } from '../records/store.js';
import type { Provenance, SliceKey, TuningRecord } from '../records/types.js';
import { RECORD_FORMAT_VERSION } from '../records/types.js';
import { makeStrategy } from '../search/strategies/index.js';
import { shareContext, transferPrior } from '../search/transfer.js';
import { type TuneProgress, type TuneResult, tune } from '../search/tune.js';
import type { PriorPoint, Trial } from '../search/types.js';
import type { Config, ConfigSpace } from '../space/types.js';
import { getTemplate, referenceKernel, type Task } from '../templates/index.js';
import { VERSION } from '../version.js';

export interface TaskTuningOptions {
  task: Task;
  session: MeasureSession;
  /** Measure on this server (slice) only; default: any free one. */
  server?: number;
  store: RecordStore;
  runId: string;
  strategy: string;
  trials: number;
  wallMs?: number;
  batchSize: number;
  earlyStopping?: number;
  seed: number;
  measureOptions: MeasureOptions;
  /** The share the task is tuned for (the slice's requested percent). */
  percent: number;
  transfer: boolean;
  onProgress?: (p: TuneProgress) => void;
}

export interface TaskTuningResult extends TuneResult {
  slice: SliceKey;
  priorPoints: number;
}

export function provenanceOf(device: DeviceInfo): Provenance {
  return {
    deviceName: device.name,
    arch: device.arch,
    driverVersion: device.driverVersion,
    cudaVersion: device.cudaVersion,
    slicetuneVersion: VERSION,
    simulated: device.simulated,
  };
}

/**
 * The model strategy's start from other records (transfer.ts): this task at other shares and
 * similar workloads of its template, on this device; not its own records on these slices (those
 * are its history). The share goes with it as a feature, so the model tells the transferred
 * points from this share's own trials (without it, they were indistinguishable).
 */
export function transferFor(
  store: RecordStore,
  task: Task,
  space: ConfigSpace,
  deviceName: string,
  percent: number,
  ownSms: ReadonlySet<number>,
): { prior: PriorPoint[]; context: number[] } {
  const records = store
    .query({ template: task.template, deviceName })
    .filter((r) => !(r.taskKey === task.key && ownSms.has(r.slice.sms)));
  const prior = transferPrior(records, space, {
    workloadKey: task.workloadKey,
    percent,
    template: task.template,
  });
  return { prior, context: prior.length > 0 ? shareContext(percent) : [] };
}

export function sliceKeyOf(slice: Slice, percent: number): SliceKey {
  return { mechanism: slice.mechanism, sms: slice.sms, percent };
}

export async function tuneTask(o: TaskTuningOptions): Promise<TaskTuningResult> {
  const { task, session, store } = o;
  const device = session.device;
  const template = getTemplate(task.template);
  const space = template.space(task.workload, device);
  const slice = session.pool.servers[o.server ?? 0]?.slice;
  if (!slice) throw new Error('measurement session has no server');
  const sliceKey = sliceKeyOf(slice, o.percent);
  const provenance = provenanceOf(device);

  const already: Trial[] = store
    .query({ taskKey: task.key, mechanism: sliceKey.mechanism, deviceName: device.name })
    .filter((r) => r.slice.sms === sliceKey.sms)
    .map((r) => ({
      config: r.config,
      configKey: r.configKey,
      cost: r.result.ok ? r.result.medianMs : Infinity,
      result: r.result,
    }));

  const { prior, context } = o.transfer
    ? transferFor(store, task, space, device.name, o.percent, new Set([sliceKey.sms]))
    : { prior: [], context: [] };
  const strategy = makeStrategy(o.strategy, { seed: o.seed, batchSize: o.batchSize, prior, context });
  const reference = referenceKernel(task.workload);
  const tolerance = toleranceFor(task.workload);

  const measure = async (configs: Config[]) => {
    const inputs = configs.map((config) => ({
      id: space.key(config),
      kernel: template.generate(task.workload, config, device),
      reference,
      tolerance,
    }));
    const measured = await session.measure(inputs, o.measureOptions, o.server);
    const now = Date.now();
    const records: TuningRecord[] = measured.map((m, i) => ({
      formatVersion: RECORD_FORMAT_VERSION,
      taskKey: task.key,
      workloadKey: task.workloadKey,
      template: task.template,
      config: configs[i] as Config,
      configKey: m.id,
      slice: sliceKeyOf(m.slice, o.percent),
      result: m.result,
      provenance,
      timestamp: now,
      runId: o.runId,
    }));
    // One transaction per batch: a crash loses at most the batch in flight, never half of it.
    store.add(records);
    return measured.map((m, i) => ({ config: configs[i] as Config, result: m.result }));
  };

  const result = await tune({
    space,
    strategy,
    measure,
    seed: o.seed,
    alreadyMeasured: already,
    budget: { trials: o.trials, wallMs: o.wallMs },
    batchSize: o.batchSize,
    earlyStopping: o.earlyStopping,
    onProgress: o.onProgress,
  });
  return { ...result, slice: sliceKey, priorPoints: prior.length };
}
