/**
 * The planner: from the target share, the GPU and the CPU, how many measurement servers on which
 * slices, how many tuning clients, how many compile workers. A model for 25% of the GPU gets four
 * 25% servers (tuned where it will run, four at a time); a model for the whole GPU gets one
 * exclusive server. Clients are as many as keep both the servers and the compile workers busy.
 * The user's overrides win; every choice says why.
 */
import type { SliceMechanism } from '../gpu/types.js';
import { SlicetuneError } from '../util/errors.js';
import type { TuningPlan } from './types.js';

export interface PlanInput {
  /** Target share of the GPU, percent, (0, 100]. */
  share: number;
  deviceSms: number;
  cpuCores: number;
  /** Tasks to tune: more clients than tasks would idle. */
  tasks: number;
  /** Whether green contexts / MPS work on this machine. */
  green: boolean;
  mps: boolean;
  /** Configs per measured batch (default 16): sets how many clients keep the compile workers busy. */
  batchSize?: number;
  overrides?: Partial<Pick<TuningPlan, 'mechanism' | 'servers' | 'clients'>>;
  /** The classic AutoTVM loop: one client, one server alone on the GPU, no pipelining. */
  baseline?: boolean;
}

/** Configs per measured batch when none is given: 16, or the whole budget when it is smaller. */
export const defaultBatchSize = (trialsPerTask: number): number => Math.min(16, trialsPerTask);

export function planTuning(input: PlanInput): TuningPlan {
  validate(input);
  const { share, deviceSms, cpuCores, tasks, overrides = {} } = input;
  const why: string[] = [];
  const mechanism = chooseMechanism(input, why);
  const smsEach =
    mechanism === 'exclusive' || mechanism === 'timeslice' ? deviceSms : (share * deviceSms) / 100;

  let servers: number;
  if (input.baseline) {
    servers = 1;
    why.push(
      'baseline: one server, alone on the GPU, tasks one after another, each batch built then measured',
    );
  } else if (overrides.servers !== undefined) {
    servers = overrides.servers;
    why.push(`${servers} server(s): as asked`);
  } else if (mechanism === 'exclusive') {
    servers = 1;
    why.push('1 server: an exclusive server holds the whole GPU');
  } else {
    servers = Math.max(1, Math.floor(100 / share + 1e-9));
    why.push(`${servers} server(s): as many ${share}% slices as fit in the GPU (${fmt(smsEach)} SMs each)`);
  }
  checkServers(mechanism, servers, share);

  let clients: number;
  if (input.baseline) {
    clients = 1;
  } else if (overrides.clients !== undefined) {
    clients = overrides.clients;
    why.push(`${clients} client(s): as asked`);
  } else {
    // The GPU measures a batch in milliseconds; proposing and compiling it takes the CPU far
    // longer (H100: 1-4% measurement occupancy, docs/RESULTS.md), so the CPU sets the pace:
    // enough clients that, with half of them waiting on a measurement, their batches still fill
    // every compile worker.
    const batch = input.batchSize ?? 16;
    const toFillCompilers = Math.ceil((2 * Math.max(1, cpuCores)) / batch);
    clients = Math.max(servers, toFillCompilers);
    why.push(
      clients > servers
        ? `${clients} client(s): batches of ${batch} from ${clients} clients keep ${cpuCores} compile workers busy while others are measured`
        : `${clients} client(s): one per server, so every server has a batch to measure`,
    );
  }
  if (clients > tasks) {
    why.push(`${clients} clients for ${tasks} task(s): ${tasks} client(s), a client needs a task`);
    clients = tasks;
  }
  const compileWorkers = Math.max(1, cpuCores);
  why.push(`${compileWorkers} compile worker(s): one per CPU core, shared by the clients`);
  return {
    mode: input.baseline ? 'baseline' : 'shared',
    mechanism,
    percent: share,
    servers,
    clients,
    compileWorkers,
    why,
  };
}

function chooseMechanism(input: PlanInput, why: string[]): SliceMechanism {
  const { share, overrides = {} } = input;
  const asked = overrides.mechanism;
  if (asked !== undefined) {
    if (asked === 'green' && !input.green) throw unavailable('green contexts');
    if (asked === 'mps' && !input.mps) throw unavailable('MPS');
    if (asked === 'exclusive' && share < 100) {
      throw new SlicetuneError(
        'BAD_OPTION',
        `--sharing exclusive gives the whole GPU but --share is ${share}%: use --share 100 or green/mps`,
      );
    }
    why.push(`${asked}: as asked`);
    if (asked === 'timeslice' && share < 100) {
      why.push(
        `timeslice: each server's kernels get the whole GPU in turns, not a ${share}% slice (a control)`,
      );
    }
    return asked;
  }
  if (share >= 100) {
    why.push('exclusive: a model for the whole GPU is tuned on the whole GPU');
    return 'exclusive';
  }
  if (input.green) {
    why.push(`green: green contexts give each ${share}% slice its own SMs`);
    return 'green';
  }
  if (input.mps) {
    why.push(`mps: green contexts unavailable; MPS limits each server to ${share}% of the threads`);
    return 'mps';
  }
  why.push('timeslice: neither green contexts nor MPS here; servers take turns on the whole GPU (a control)');
  return 'timeslice';
}

function checkServers(mechanism: SliceMechanism, servers: number, share: number): void {
  if (mechanism === 'exclusive' && servers !== 1) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `--sharing exclusive has exactly one server, asked for ${servers}`,
    );
  }
  if (mechanism === 'green' && servers * share > 100 + 1e-9) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `${servers} green slices of ${share}% need ${servers * share}% of the SMs: green contexts do not overlap (use fewer --servers, or mps)`,
    );
  }
}

function validate(input: PlanInput): void {
  const bad = (m: string) => new SlicetuneError('BAD_OPTION', m);
  if (!(Number.isFinite(input.share) && input.share > 0 && input.share <= 100)) {
    throw bad(`share must be a percentage in (0, 100], got ${input.share}`);
  }
  if (!(Number.isInteger(input.tasks) && input.tasks >= 1))
    throw bad(`a model needs at least one task, got ${input.tasks}`);
  if (!(Number.isInteger(input.deviceSms) && input.deviceSms >= 1))
    throw bad(`device SMs must be >= 1, got ${input.deviceSms}`);
  if (input.batchSize !== undefined && !(Number.isInteger(input.batchSize) && input.batchSize >= 1))
    throw bad(`batch size must be a positive integer, got ${input.batchSize}`);
  const { servers, clients } = input.overrides ?? {};
  for (const [name, n] of [
    ['--servers', servers],
    ['--clients', clients],
  ] as const) {
    if (n !== undefined && !(Number.isInteger(n) && n >= 1))
      throw bad(`${name} must be a positive integer, got ${n}`);
  }
  if (input.baseline && ((servers ?? 1) !== 1 || (clients ?? 1) !== 1)) {
    throw bad('--baseline runs one server and one client: drop --servers/--clients');
  }
}

function unavailable(what: string): SlicetuneError {
  return new SlicetuneError(
    'SLICE_UNAVAILABLE',
    `--sharing asks for ${what}, which this machine does not offer`,
  );
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
