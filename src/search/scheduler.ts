/**
 * Tuning a model's tasks under one trial budget: the policy (scheduler-policy.ts) picks the task
 * for each batch, a per-task step function measures it, and the estimated model latency is
 * reported after every step.
 */
import { SlicetuneError } from '../util/errors.js';
import {
  chooseNextTask,
  objective,
  type SchedulerPolicy,
  type SchedulerTask,
  type TaskState,
} from './scheduler-policy.js';
import type { TuneSession } from './session.js';

export interface TaskStepResult {
  /** Trials measured in this step (0 means the task has nothing left to try). */
  trialsUsed: number;
  /** The task's best latency after the step, ms (Infinity before a success). */
  bestCost: number;
  exhausted?: boolean;
}

export type TaskStep = (task: SchedulerTask, trials: number) => Promise<TaskStepResult>;

export interface SchedulerStepReport {
  task: string;
  trialsUsed: number;
  /** Σ weight × best latency over all tasks. */
  objective: number;
  tasks: readonly TaskState[];
}

export interface SchedulerResult {
  trialsUsed: number;
  objective: number;
  tasks: TaskState[];
  stopReason: 'budget' | 'all-dropped';
}

export interface SchedulerOptions {
  totalTrials: number;
  batchSize: number;
  policy?: Partial<SchedulerPolicy>;
  onStep?: (report: SchedulerStepReport) => void;
}

export class TaskScheduler {
  readonly tasks: TaskState[];
  readonly policy: SchedulerPolicy;
  private trialsUsed = 0;

  constructor(
    tasks: readonly SchedulerTask[],
    private readonly step: TaskStep,
    private readonly options: SchedulerOptions,
  ) {
    if (tasks.length === 0) throw new SlicetuneError('BAD_OPTION', 'TaskScheduler: no tasks to tune');
    if (new Set(tasks.map((t) => t.key)).size !== tasks.length) {
      throw new SlicetuneError('BAD_OPTION', 'TaskScheduler: task keys must be distinct');
    }
    this.tasks = tasks.map((t) => ({
      ...t,
      rounds: 0,
      trials: 0,
      best: Number.POSITIVE_INFINITY,
      bestByRound: [],
      improvedAtTrial: 0,
    }));
    this.policy = {
      alpha: 0.2,
      beta: 2,
      backwardWindow: 3,
      stallTrials: 6 * options.batchSize,
      minShare: 0.01,
      ...options.policy,
    };
  }

  async run(): Promise<SchedulerResult> {
    const { totalTrials, batchSize } = this.options;
    let stopReason: SchedulerResult['stopReason'] = 'budget';
    while (this.trialsUsed < totalTrials) {
      const decision = chooseNextTask(this.tasks, this.policy);
      for (const d of decision.drop) this.byKey(d.key).dropped = d.reason;
      if (decision.next === null) {
        stopReason = 'all-dropped';
        break;
      }
      const task = this.byKey(decision.next);
      const result = await this.step(task, Math.min(batchSize, totalTrials - this.trialsUsed));
      this.apply(task, result);
      this.options.onStep?.({
        task: task.key,
        trialsUsed: this.trialsUsed,
        objective: objective(this.tasks),
        tasks: this.tasks,
      });
    }
    return { trialsUsed: this.trialsUsed, objective: objective(this.tasks), tasks: this.tasks, stopReason };
  }

  private apply(task: TaskState, result: TaskStepResult): void {
    task.rounds++;
    task.trials += result.trialsUsed;
    this.trialsUsed += result.trialsUsed;
    if (result.bestCost < task.best) {
      task.best = result.bestCost;
      task.improvedAtTrial = task.trials;
    }
    task.bestByRound.push(task.best);
    if (result.exhausted || result.trialsUsed === 0) task.exhausted = true;
  }

  private byKey(key: string): TaskState {
    const task = this.tasks.find((t) => t.key === key);
    if (!task) throw new SlicetuneError('INTERNAL', `TaskScheduler: unknown task '${key}'`);
    return task;
  }
}

/** A task step that advances one tuning session per task. */
export function sessionStep(sessions: ReadonlyMap<string, TuneSession>): TaskStep {
  return async (task, trials) => {
    const session = sessions.get(task.key);
    if (!session) throw new SlicetuneError('NOT_FOUND', `no tuning session for task '${task.key}'`);
    // A step that only met known configs is retried; the session calls itself exhausted after a few.
    let batch = await session.step(trials);
    while (batch.length === 0 && !session.exhausted) batch = await session.step(trials);
    return {
      trialsUsed: batch.length,
      bestCost: session.best?.cost ?? Number.POSITIVE_INFINITY,
      exhausted: session.exhausted,
    };
  };
}
