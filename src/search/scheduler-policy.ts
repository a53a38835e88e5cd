/**
 * The task scheduler's decisions as pure functions of its state, so they can be tested alone.
 * Ansor's gradient scheme (Zheng et al., OSDI 2020, §6): the objective is the estimated model
 * latency Σ weight × best latency; the next batch goes to the task whose latency is expected to
 * fall fastest, blending the recent slope (backward) with an optimistic forecast (forward: the
 * latency keeps falling at its average rate, or reaches β times the best throughput of any task).
 */

export interface SchedulerTask {
  key: string;
  /** How often the task runs in the model. */
  weight: number;
  /** FLOPs of one run (0 when unknown). */
  flops: number;
}

export interface TaskState extends SchedulerTask {
  /** Batches given to the task (Ansor's t_i). */
  rounds: number;
  trials: number;
  /** Best latency so far, ms (Infinity before a success). */
  best: number;
  /** Best latency after each round. */
  bestByRound: number[];
  /** The task's trial count when its best last improved. */
  improvedAtTrial: number;
  /** Why the task gets no more trials, once dropped. */
  dropped?: 'stalled' | 'negligible' | 'exhausted';
  exhausted?: boolean;
}

export interface SchedulerPolicy {
  /** Weight of the backward (observed) slope against the forward forecast (Ansor's α). */
  alpha: number;
  /** Slack on the best throughput a task may still reach (Ansor's β). */
  beta: number;
  /** Rounds the backward slope looks back. */
  backwardWindow: number;
  /** A task is dropped after this many of its trials without improving. */
  stallTrials: number;
  /** A task is dropped when its share of the objective falls below this (the heaviest never is). */
  minShare: number;
}

export interface SchedulerDecision {
  /** Task to give the next batch, or null when none is left. */
  next: string | null;
  drop: { key: string; reason: NonNullable<TaskState['dropped']> }[];
}

/** Estimated model latency: Σ weight × best latency (Infinity while a task has no success). */
export function objective(tasks: readonly Pick<TaskState, 'weight' | 'best'>[]): number {
  return tasks.reduce((sum, t) => sum + t.weight * t.best, 0);
}

export function chooseNextTask(tasks: readonly TaskState[], policy: SchedulerPolicy): SchedulerDecision {
  const active = tasks.filter((t) => !t.dropped);
  // Round-robin warm-up: every task gets one batch before any gets a second.
  const cold = active.find((t) => t.rounds === 0);
  if (cold) return { next: cold.key, drop: [] };

  const drop = dropsFor(active, policy);
  const dropped = new Set(drop.map((d) => d.key));
  const remaining = active.filter((t) => !dropped.has(t.key));
  const throughputs = tasks
    .filter((t) => t.flops > 0 && Number.isFinite(t.best))
    .map((t) => t.flops / t.best);
  const bestThroughput = throughputs.length > 0 ? Math.max(...throughputs) : 0;
  let next: string | null = null;
  let bestBenefit = Number.NEGATIVE_INFINITY;
  for (const t of remaining) {
    const b = benefit(t, bestThroughput, policy);
    if (b > bestBenefit) {
      bestBenefit = b;
      next = t.key;
    }
  }
  return { next, drop };
}

/** Expected fall of the objective per round given to this task (≥ 0; Infinity before a success). */
export function benefit(task: TaskState, bestThroughput: number, policy: SchedulerPolicy): number {
  if (!Number.isFinite(task.best)) return Number.POSITIVE_INFINITY;
  const history = task.bestByRound;
  const window = Math.min(policy.backwardWindow, history.length - 1);
  const past = history[history.length - 1 - window] ?? task.best;
  const backward = window > 0 && Number.isFinite(past) ? (past - task.best) / window : 0;
  const byAverageRate = task.best - task.best / Math.max(1, task.rounds);
  const byThroughput =
    task.flops > 0 && bestThroughput > 0
      ? (policy.beta * task.flops) / bestThroughput
      : Number.POSITIVE_INFINITY;
  const forward = task.best - Math.min(byAverageRate, byThroughput);
  return task.weight * (policy.alpha * backward + (1 - policy.alpha) * Math.max(0, forward));
}

function dropsFor(active: readonly TaskState[], policy: SchedulerPolicy): SchedulerDecision['drop'] {
  const drop: SchedulerDecision['drop'] = [];
  const total = objective(active);
  const heaviest = Math.max(...active.map((t) => t.weight * t.best));
  for (const t of active) {
    if (t.exhausted) drop.push({ key: t.key, reason: 'exhausted' });
    else if (t.trials - t.improvedAtTrial >= policy.stallTrials) drop.push({ key: t.key, reason: 'stalled' });
    else if (
      Number.isFinite(total) &&
      total > 0 &&
      t.weight * t.best < heaviest &&
      (t.weight * t.best) / total < policy.minShare
    ) {
      drop.push({ key: t.key, reason: 'negligible' });
    }
  }
  return drop;
}
