/**
 * From a job request to what the service runs: the model's tasks (zoo models only: the service
 * never opens files a remote user names), the sharing planner's plan, and the job's claim on the
 * GPU. Refusals are HttpError 400s naming the request field.
 */
import { availableParallelism } from 'node:os';
import { type DeviceChoice, probeDevices } from '../gpu/device.js';
import { extractTasks, isZooName, listZoo, loadModel } from '../graph/index.js';
import { defaultBatchSize, planTuning } from '../sharing/planner.js';
import type { TuningPlan } from '../sharing/types.js';
import type { Task } from '../templates/types.js';
import { isSlicetuneError, SlicetuneError } from '../util/errors.js';
import { HttpError } from './http-error.js';
import type { JobRequest } from './job-request.js';

export interface DeviceFacts {
  name: string;
  simulated: boolean;
  sms: number;
  green: boolean;
  mps: boolean;
}

export async function probeDeviceFacts(choice: DeviceChoice): Promise<DeviceFacts> {
  const probe = await probeDevices(choice);
  const info = probe.devices[0];
  if (!info) throw new SlicetuneError('NOT_FOUND', `no GPU to tune on: ${probe.reason}`);
  return {
    name: info.name,
    simulated: info.simulated,
    sms: info.sms,
    green: probe.mechanisms.green.supported,
    mps: probe.mechanisms.mps.supported,
  };
}

export interface PlannedJob {
  tasks: Task[];
  plan: TuningPlan;
  /** Percent of the GPU the job takes while it runs. */
  claim: number;
}

export class JobPlanner {
  /** Models are built once (vgg16 takes seconds); their tasks do not change. */
  private readonly modelTasks = new Map<string, Task[]>();

  constructor(
    private readonly device: DeviceFacts,
    private readonly shareLimit: number,
  ) {}

  plan(request: JobRequest): PlannedJob {
    const tasks = this.tasksOf(request.model);
    const plan = this.planOf(request, tasks);
    const claim = claimOf(plan);
    if (claim > this.shareLimit + 1e-9) {
      throw new HttpError(
        400,
        `this job needs ${claim}% of the GPU (${plan.servers} server(s) at ${plan.percent}%, ${plan.mechanism}` +
          `${plan.mode === 'baseline' ? ', baseline: alone on the GPU' : ''}) but this service hands out at most ` +
          `${this.shareLimit}%: ask for fewer servers or a smaller share`,
        request.servers === undefined ? 'share' : 'servers',
      );
    }
    return { tasks, plan, claim };
  }

  private tasksOf(model: string): Task[] {
    if (!isZooName(model)) {
      throw new HttpError(
        400,
        `model: unknown model '${model}' (the service tunes zoo models: ${listZoo().join(', ')})`,
        'model',
      );
    }
    let tasks = this.modelTasks.get(model);
    if (!tasks) {
      tasks = extractTasks(loadModel(model)).tasks;
      this.modelTasks.set(model, tasks);
    }
    return tasks;
  }

  private planOf(request: JobRequest, tasks: Task[]): TuningPlan {
    try {
      return planTuning({
        share: request.share,
        deviceSms: this.device.sms,
        cpuCores: availableParallelism(),
        tasks: tasks.length,
        green: this.device.green,
        mps: this.device.mps,
        baseline: request.baseline ?? false,
        batchSize: defaultBatchSize(request.trials),
        overrides: { servers: request.servers, clients: request.clients, mechanism: request.sharing },
      });
    } catch (e) {
      if (isSlicetuneError(e)) throw planError(e.message);
      throw e;
    }
  }
}

/** The planner speaks in CLI flags; the service's user sent JSON fields of the same names. */
function planError(message: string): HttpError {
  const flags = /--(share|sharing|servers|clients|baseline)\b/g;
  const field = /--(share|sharing|servers|clients|baseline)\b/.exec(message)?.[1];
  return new HttpError(400, message.replace(flags, '$1'), field);
}

/**
 * The GPU a job takes while it runs: its slices together (servers x share), or the whole GPU for
 * `exclusive` and `timeslice`, which do not partition it, and for a baseline, which runs alone.
 */
export function claimOf(plan: TuningPlan): number {
  if (plan.mode === 'baseline' || plan.mechanism === 'exclusive' || plan.mechanism === 'timeslice') {
    return 100;
  }
  return Math.min(100, plan.percent * plan.servers);
}
