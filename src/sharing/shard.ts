/**
 * Sharding a model's tasks across tuning clients. Every task gets the same trial budget, so a
 * task's tuning cost is its trials times (a compile, about the same for every kernel, plus its
 * measurement, which grows with the kernel's work). Longest-first greedy (LPT) then gives each
 * client about the same total, and the clients finish together.
 */
import { workloadFlops } from '../ops/index.js';
import type { Task } from '../templates/types.js';
import { SlicetuneError } from '../util/errors.js';

/** Relative cost of tuning a task: one unit of compile plus its FLOPs against the largest task's. */
export function tuningCost(task: Task, maxFlops: number): number {
  return 1 + (maxFlops > 0 ? workloadFlops(task.workload) / maxFlops : 0);
}

/** Tasks per client; inside a client, heaviest in the model (weight × FLOPs) first. */
export function shardTasks(tasks: readonly Task[], clients: number): Task[][] {
  if (!(Number.isInteger(clients) && clients >= 1)) {
    throw new SlicetuneError('BAD_OPTION', `clients must be a positive integer, got ${clients}`);
  }
  const maxFlops = Math.max(0, ...tasks.map((t) => workloadFlops(t.workload)));
  const shards: { tasks: Task[]; load: number }[] = Array.from({ length: clients }, () => ({
    tasks: [],
    load: 0,
  }));
  const byCost = [...tasks].sort((a, b) => tuningCost(b, maxFlops) - tuningCost(a, maxFlops));
  for (const task of byCost) {
    const lightest = shards.reduce((min, s) => (s.load < min.load ? s : min));
    lightest.tasks.push(task);
    lightest.load += tuningCost(task, maxFlops);
  }
  const importance = (t: Task) => t.weight * workloadFlops(t.workload);
  return shards.map((s) => s.tasks.sort((a, b) => importance(b) - importance(a)));
}
