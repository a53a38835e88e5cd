/**
 * Task extraction: the unique tunable workloads of a model, each with the template an untuned
 * model runs (defaultTemplateFor) and its weight, the number of nodes that share the workload.
 */
import { workloadKey } from '../ops/index.js';
import { defaultTemplateFor, makeTask } from '../templates/index.js';
import type { Task } from '../templates/types.js';
import { type Graph, isTunable } from './ir.js';
import { optimizeGraph } from './passes/index.js';

export interface ExtractedTasks {
  /** In order of first occurrence in the graph. */
  tasks: Task[];
  /** Tunable node name (in `graph`) -> its task key. */
  nodeTasks: Map<string, string>;
  /** The optimized graph the node names refer to. */
  graph: Graph;
}

/** Optimizes the graph (idempotent, so an optimized graph may be passed) and collects its tasks. */
export function extractTasks(graph: Graph): ExtractedTasks {
  const optimized = optimizeGraph(graph);
  const byWorkload = new Map<
    string,
    { workload: NonNullable<Graph['nodes'][number]['workload']>; nodes: string[] }
  >();
  for (const node of optimized.nodes) {
    if (!isTunable(node)) continue;
    const key = workloadKey(node.workload);
    const entry = byWorkload.get(key);
    if (entry) entry.nodes.push(node.name);
    else byWorkload.set(key, { workload: node.workload, nodes: [node.name] });
  }
  const tasks: Task[] = [];
  const nodeTasks = new Map<string, string>();
  for (const { workload, nodes } of byWorkload.values()) {
    const task = makeTask(workload, defaultTemplateFor(workload).name, nodes.length);
    tasks.push(task);
    for (const name of nodes) nodeTasks.set(name, task.key);
  }
  return { tasks, nodeTasks, graph: optimized };
}
