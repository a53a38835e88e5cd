/** The search layer: strategies, the cost model, transfer, the tune loop and the task scheduler. */

export { CostModel, type CostModelOptions } from './cost-model.js';
export {
  type SchedulerOptions,
  type SchedulerResult,
  sessionStep,
  TaskScheduler,
  type TaskStep,
  type TaskStepResult,
} from './scheduler.js';
export {
  chooseNextTask,
  objective,
  type SchedulerDecision,
  type SchedulerPolicy,
  type SchedulerTask,
  type TaskState,
} from './scheduler-policy.js';
export { type SessionOptions, TuneSession } from './session.js';
export { type GaOptions, makeGa } from './strategies/ga.js';
export { makeStrategy, STRATEGIES, STRATEGY_NAMES, type StrategyName } from './strategies/index.js';
export { type ModelOptions, makeModel } from './strategies/model.js';
export type { TargetKind } from './training-set.js';
export {
  shareCloseness,
  shareContext,
  type TransferOptions,
  type TransferTarget,
  transferPrior,
} from './transfer.js';
export {
  type StopReason,
  type TuneBudget,
  type TuneOptions,
  type TuneProgress,
  type TuneResult,
  tune,
} from './tune.js';
export type {
  Measurer,
  PriorPoint,
  SearchContext,
  Strategy,
  StrategyFactory,
  StrategyOptions,
  Trial,
} from './types.js';
