/**
 * One tuning job of the service: its request, its place in the queue, and the views the API and
 * the dashboard read, kept up to date from the tuner's events (tasks, servers with occupancy,
 * the tuning curve). Every event is also kept, so an SSE client that connects late replays it.
 */
import type { Slice } from '../gpu/types.js';
import type { ModelTuningResult, TuningEvent, TuningPlan } from '../sharing/types.js';
import type { Task } from '../templates/types.js';
import type { JobRequest } from './job-request.js';

export type JobStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled';

/** What the SSE stream of a job carries: the tuner's events and the job's own status changes. */
export type JobEvent = TuningEvent | { type: 'status'; status: JobStatus; error?: string };

export const TERMINAL: readonly JobStatus[] = ['finished', 'failed', 'cancelled'];

/** Events kept per job for late subscribers; the first (start) is always kept. */
const MAX_EVENTS = 5000;

export interface TaskView {
  key: string;
  weight: number;
  trials: number;
  total: number;
  bestMs: number | null;
  bestGflops: number | null;
  errors: number;
}

export interface ServerView {
  index: number;
  slice: Slice;
  busyMs: number;
  wallMs: number;
}

export interface JobSummary {
  id: string;
  user: string;
  model: string;
  share: number;
  /** Percent of the GPU this job's slices take while it runs. */
  claim: number;
  status: JobStatus;
  queuePosition: number | null;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  runId: string;
  plan: TuningPlan;
  trials: { done: number; total: number };
  validTrials: number;
  estimatedModelMs: number | null;
  tasks: TaskView[];
}

export class Job {
  status: JobStatus = 'queued';
  startedAt: number | null = null;
  finishedAt: number | null = null;
  error: string | null = null;
  result: ModelTuningResult | null = null;
  readonly controller = new AbortController();
  readonly submittedAt = Date.now();
  readonly servers = new Map<number, ServerView>();
  readonly tasks = new Map<string, TaskView>();
  /** [seconds since start, estimated model ms]. */
  readonly curve: [number, number][] = [];
  private validTrials = 0;
  private readonly events: JobEvent[] = [];
  private readonly listeners = new Set<(event: JobEvent) => void>();

  constructor(
    readonly id: string,
    readonly request: JobRequest,
    readonly taskList: readonly Task[],
    readonly plan: TuningPlan,
    readonly claim: number,
  ) {
    for (const t of taskList) {
      this.tasks.set(t.key, {
        key: t.key,
        weight: t.weight,
        trials: 0,
        total: request.trials,
        bestMs: null,
        bestGflops: null,
        errors: 0,
      });
    }
  }

  get done(): boolean {
    return TERMINAL.includes(this.status);
  }

  setStatus(status: JobStatus, error?: string): void {
    this.status = status;
    if (status === 'running') this.startedAt = Date.now();
    if (TERMINAL.includes(status)) this.finishedAt = Date.now();
    if (error !== undefined) this.error = error;
    this.record(error === undefined ? { type: 'status', status } : { type: 'status', status, error });
  }

  record(event: JobEvent): void {
    this.apply(event);
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.splice(1, 1);
    for (const listener of this.listeners) listener(event);
  }

  /** Replays every kept event, then follows; returns the unsubscribe function. */
  subscribe(listener: (event: JobEvent) => void): () => void {
    for (const event of this.events) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  summary(queuePosition: number | null): JobSummary {
    const tasks = [...this.tasks.values()];
    return {
      id: this.id,
      user: this.request.user ?? 'anonymous',
      model: this.request.model,
      share: this.request.share,
      claim: this.claim,
      status: this.status,
      queuePosition,
      submittedAt: this.submittedAt,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      error: this.error,
      runId: this.id,
      plan: this.plan,
      trials: {
        done: tasks.reduce((s, t) => s + t.trials, 0),
        total: tasks.reduce((s, t) => s + t.total, 0),
      },
      validTrials: this.validTrials,
      estimatedModelMs: this.curve.at(-1)?.[1] ?? null,
      tasks,
    };
  }

  private apply(event: JobEvent): void {
    switch (event.type) {
      case 'start':
        for (const s of event.servers) this.servers.set(s.index, { ...s, busyMs: 0, wallMs: 0 });
        break;
      case 'task': {
        const view = this.tasks.get(event.taskKey);
        if (!view) break;
        view.trials = event.trials;
        view.total = event.total;
        view.bestMs = finite(event.bestMs);
        view.bestGflops = finite(event.bestGflops);
        view.errors = event.errors;
        break;
      }
      case 'estimate':
        this.validTrials = event.validTrials;
        if (Number.isFinite(event.estimatedModelMs)) {
          this.curve.push([event.elapsedMs / 1000, event.estimatedModelMs]);
        }
        break;
      case 'occupancy': {
        const server = this.servers.get(event.server);
        if (server) Object.assign(server, { busyMs: event.busyMs, wallMs: event.wallMs });
        break;
      }
      case 'done':
        this.result = event.result;
        break;
      case 'status':
        break;
    }
  }
}

function finite(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
