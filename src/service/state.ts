/**
 * GET /api/state: what the dashboard draws. The jobs, every running job's servers with their
 * slices and measurement occupancy, and each job's tuning curve (estimated model latency over
 * seconds since it started). The device says whether it is the simulated GPU.
 */
import type { SliceMechanism } from '../gpu/types.js';
import { VERSION } from '../version.js';
import type { Job, JobSummary } from './job.js';

export interface ServerState {
  jobId: string;
  index: number;
  mechanism: SliceMechanism;
  percent: number;
  sms: number;
  totalSms: number;
  simulated: boolean;
  busyMs: number;
  wallMs: number;
  /** busyMs / wallMs, null before the first occupancy report. */
  occupancy: number | null;
}

export interface CurveState {
  jobId: string;
  label: string;
  /** [seconds since the job started, estimated model latency ms]. */
  points: [number, number][];
}

export interface ServiceState {
  service: {
    version: string;
    device: string;
    simulated: boolean;
    shareLimit: number;
    shareInUse: number;
    queued: number;
    now: number;
  };
  jobs: JobSummary[];
  servers: ServerState[];
  curves: CurveState[];
}

export interface StateInput {
  device: { name: string; simulated: boolean };
  shareLimit: number;
  shareInUse: number;
  jobs: readonly Job[];
  summary: (job: Job) => JobSummary;
}

export function serviceState(input: StateInput): ServiceState {
  const jobs = input.jobs.map(input.summary);
  const servers = input.jobs
    .filter((job) => job.status === 'running')
    .flatMap((job) =>
      [...job.servers.values()].map((s) => ({
        jobId: job.id,
        index: s.index,
        mechanism: s.slice.mechanism,
        percent: s.slice.requestedPercent,
        sms: s.slice.sms,
        totalSms: s.slice.totalSms,
        simulated: s.slice.simulated,
        busyMs: s.busyMs,
        wallMs: s.wallMs,
        occupancy: s.wallMs > 0 ? Math.min(1, s.busyMs / s.wallMs) : null,
      })),
    );
  const curves = input.jobs
    .filter((job) => job.curve.length > 0)
    .map((job) => ({
      jobId: job.id,
      label: `${job.request.model} ${job.request.share}% ${job.plan.mechanism} (${job.request.user ?? 'anonymous'}, ${job.id.slice(0, 8)})`,
      points: job.curve.map(([s, ms]) => [s, ms] as [number, number]),
    }));
  return {
    service: {
      version: VERSION,
      device: input.device.simulated ? `${input.device.name} [simulated]` : input.device.name,
      simulated: input.device.simulated,
      shareLimit: input.shareLimit,
      shareInUse: input.shareInUse,
      queued: jobs.filter((j) => j.status === 'queued').length,
      now: Date.now(),
    },
    jobs,
    servers,
    curves,
  };
}
