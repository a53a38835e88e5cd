/** sharing: tuning a model on a shared GPU (servers on slices, a tracker, clients, the planner). */

export { kernelMsOf } from './occupancy.js';
export { defaultBatchSize, type PlanInput, planTuning } from './planner.js';
export { InProcessQueue, type QueueBackend, type QueuedJob } from './queue.js';
export { trackedServersOf } from './servers.js';
export { shardTasks, tuningCost } from './shard.js';
export {
  provenanceOf,
  sliceKeyOf,
  type TaskTuningOptions,
  type TaskTuningResult,
  tuneTask,
} from './task-tuner.js';
export {
  type Lease,
  type QueueStatus,
  type RequestPayload,
  type ServerHealth,
  type ServerRequest,
  type ServerStatus,
  serverKey,
  type TrackedServer,
  Tracker,
  type TrackerOptions,
  type TrackerState,
} from './tracker.js';
export { DEFAULT_FIDELITY, tuneModel } from './tune-model.js';
export type {
  DisturbancePair,
  DisturbanceReport,
  FidelityOptions,
  ModelTuningResult,
  ServerSummary,
  TaskSummary,
  TuneModelOptions,
  TuningEvent,
  TuningMode,
  TuningPlan,
} from './types.js';
