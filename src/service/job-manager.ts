/**
 * The service's jobs: validated requests become planned jobs, admitted by their claim on the
 * GPU (admission.ts), run by the model tuner with a cancel signal, and kept for the API and the
 * dashboard. Jobs from several users run at once, each on its own slices of the one GPU.
 */
import { randomUUID } from 'node:crypto';
import type { BackendOptions } from '../gpu/backend.js';
import type { DeviceChoice } from '../gpu/device.js';
import { MEASURE_PROTOCOLS } from '../measure/types.js';
import type { RecordStore } from '../records/store.js';
import { tuneModel } from '../sharing/tune-model.js';
import type { ModelTuningResult, TuneModelOptions } from '../sharing/types.js';
import { SlicetuneError } from '../util/errors.js';
import { AdmissionQueue } from './admission.js';
import { HttpError } from './http-error.js';
import { Job, type JobSummary } from './job.js';
import { type DeviceFacts, JobPlanner, probeDeviceFacts } from './job-plan.js';
import type { JobRequest } from './job-request.js';
import { type ServiceState, serviceState } from './state.js';

export type Tuner = (options: TuneModelOptions) => Promise<ModelTuningResult>;

export interface JobManagerOptions {
  store: RecordStore;
  device: DeviceChoice;
  /** Percent of the GPU the service hands out to jobs at once (default 100). */
  shareLimit?: number;
  backendOptions?: BackendOptions;
  /** The model tuner (default: sharing's tuneModel); tests may pass another. */
  tuner?: Tuner;
}

/** Finished jobs kept for the API; older ones are forgotten (their records stay in the store). */
const KEEP_FINISHED = 200;

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly admission: AdmissionQueue<Job>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly planner: JobPlanner;
  private closed = false;

  private constructor(
    private readonly options: JobManagerOptions,
    readonly device: DeviceFacts,
  ) {
    this.admission = new AdmissionQueue(options.shareLimit ?? 100);
    this.planner = new JobPlanner(device, this.admission.limit);
  }

  static async create(options: JobManagerOptions): Promise<JobManager> {
    const limit = options.shareLimit ?? 100;
    if (!(limit > 0 && limit <= 100)) {
      throw new SlicetuneError(
        'BAD_OPTION',
        `--gpu-share-limit must be a percentage in (0, 100], got ${limit}`,
      );
    }
    return new JobManager(options, await probeDeviceFacts(options.device));
  }

  /** Plans a job and queues it (it starts at once when its claim fits). Throws HttpError 400. */
  submit(request: JobRequest): Job {
    if (this.closed) throw new HttpError(503, 'the service is shutting down');
    const { tasks, plan, claim } = this.planner.plan(request);
    const job = new Job(randomUUID(), request, tasks, plan, claim);
    this.jobs.set(job.id, job);
    job.setStatus('queued');
    this.admission.enqueue(job);
    this.startAdmitted();
    this.forgetOldJobs();
    return job;
  }

  get(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new HttpError(404, `no job ${id}`);
    return job;
  }

  list(): JobSummary[] {
    return [...this.jobs.values()].map((j) => this.summary(j));
  }

  summary(job: Job): JobSummary {
    return job.summary(this.admission.position(job));
  }

  /** A queued job ends at once; a running one is told to stop and ends when its tuner returns. */
  cancel(id: string): Job {
    const job = this.get(id);
    if (job.done) throw new HttpError(409, `job ${id} has already ended (${job.status})`);
    if (this.admission.remove(job)) {
      job.setStatus('cancelled');
    } else {
      job.controller.abort(new Error(`job ${id} cancelled`));
    }
    return job;
  }

  state(): ServiceState {
    return serviceState({
      device: this.device,
      shareLimit: this.admission.limit,
      shareInUse: this.admission.inUse,
      jobs: [...this.jobs.values()],
      summary: (job) => this.summary(job),
    });
  }

  /** Cancels every job and waits for the running ones to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.admission.queued]) {
      this.admission.remove(job);
      job.setStatus('cancelled');
    }
    for (const job of this.jobs.values()) {
      if (!job.done) job.controller.abort(new Error('the service is shutting down'));
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private startAdmitted(): void {
    for (const job of this.admission.admit()) {
      const run = this.run(job).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }

  private async run(job: Job): Promise<void> {
    const { request } = job;
    const tuner = this.options.tuner ?? tuneModel;
    job.setStatus('running');
    let failure: string | undefined;
    try {
      job.result = await tuner({
        tasks: [...job.taskList],
        plan: job.plan,
        device: this.options.device,
        store: this.options.store,
        runId: job.id,
        trialsPerTask: request.trials,
        strategy: request.strategy ?? 'model',
        seed: request.seed ?? 1,
        measureOptions: MEASURE_PROTOCOLS[request.measure ?? 'quick'],
        backendOptions: this.options.backendOptions,
        signal: job.controller.signal,
        onEvent: (event) => job.record(event),
      });
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    // The claim is given back before the status changes, so a client that sees the end of a
    // job also sees its share free.
    this.admission.release(job);
    if (job.controller.signal.aborted) job.setStatus('cancelled');
    else if (failure !== undefined) job.setStatus('failed', failure);
    else job.setStatus('finished');
    if (!this.closed) this.startAdmitted();
  }

  private forgetOldJobs(): void {
    const ended = [...this.jobs.values()].filter((j) => j.done);
    for (const job of ended.slice(0, Math.max(0, ended.length - KEEP_FINISHED))) this.jobs.delete(job.id);
  }
}
