/** A small model for the sharing tests: four cheap tasks of ResNet-18 on the simulated GPU. */

import type { SliceMechanism } from '../../src/gpu/types.js';
import { extractTasks, loadModel } from '../../src/graph/index.js';
import { workloadFlops } from '../../src/ops/index.js';
import { planTuning, type TuningEvent, type TuningPlan } from '../../src/sharing/index.js';
import type { Task } from '../../src/templates/types.js';

/** The dense layer and the three 1x1 downsampling convs: distinct, and quick to measure. */
export function smallTasks(): Task[] {
  const { tasks } = extractTasks(loadModel('resnet18'));
  const small = [...tasks].sort((a, b) => workloadFlops(a.workload) - workloadFlops(b.workload)).slice(0, 4);
  if (small.length !== 4) throw new Error('resnet18 should have at least 4 tasks');
  return small;
}

/** The planner's inputs for a simulated H100 and one core, at `share`. */
const planInputs = (share: number, tasks: number) => ({
  share,
  deviceSms: 132,
  cpuCores: 1,
  tasks,
  green: true,
  mps: true,
});

export function sharedPlan(mechanism: SliceMechanism, tasks: number, servers = 4): TuningPlan {
  return planTuning({ ...planInputs(25, tasks), overrides: { mechanism, servers, clients: servers } });
}

/** The planner's plan at 100%: shared (one exclusive server), or the classic baseline loop. */
export function wholePlan(tasks: number, baseline = false): TuningPlan {
  return planTuning({ ...planInputs(100, tasks), baseline });
}

export function eventLog(): { events: TuningEvent[]; onEvent: (e: TuningEvent) => void } {
  const events: TuningEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

export const FAST_SIM = { timeScale: 0.02, seed: 3 };
