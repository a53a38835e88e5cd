/**
 * The tracker's queue of requests for a server, behind a small interface so that the embedded
 * default (in-process, below) can be swapped for a distributed one without touching callers.
 *
 * A PostgreSQL backend on pg-boss maps one to one:
 *   enqueue(queue, payload) -> boss.send(queue, payload)        (returns the job id)
 *   dequeue(queue)          -> boss.fetch(queue) (first job, now active, or undefined)
 *   ack(queue, id)          -> boss.complete(queue, id)
 *   size(queue)             -> boss.getQueueSize(queue)
 * Queue names are server kinds (`green:25` = a green slice of 25%), so GPU hosts on many machines
 * take requests for the slices they hold. Payloads must be plain JSON. A job fetched and never
 * acked (its host died) comes back to the queue: pg-boss's expiration; the in-process queue
 * dies with its process, and so do its waiting requests.
 */

export interface QueuedJob<T> {
  id: string;
  payload: T;
}

export interface QueueBackend<T> {
  /** Adds a job at the tail; resolves to its id. */
  enqueue(queue: string, payload: T): Promise<string>;
  /** Takes the oldest waiting job (it becomes active until acked), or undefined when none waits. */
  dequeue(queue: string): Promise<QueuedJob<T> | undefined>;
  /** Marks an active job done. */
  ack(queue: string, id: string): Promise<void>;
  /** Jobs waiting (not active) in the queue. */
  size(queue: string): Promise<number>;
}

/** The embedded default: FIFO queues in this process's memory. */
export class InProcessQueue<T> implements QueueBackend<T> {
  private readonly waiting = new Map<string, QueuedJob<T>[]>();
  private readonly active = new Map<string, Set<string>>();
  private nextId = 0;

  async enqueue(queue: string, payload: T): Promise<string> {
    const id = `${queue}#${this.nextId++}`;
    this.list(queue).push({ id, payload });
    return id;
  }

  async dequeue(queue: string): Promise<QueuedJob<T> | undefined> {
    const job = this.list(queue).shift();
    if (!job) return undefined;
    let active = this.active.get(queue);
    if (!active) {
      active = new Set();
      this.active.set(queue, active);
    }
    active.add(job.id);
    return job;
  }

  async ack(queue: string, id: string): Promise<void> {
    this.active.get(queue)?.delete(id);
  }

  async size(queue: string): Promise<number> {
    return this.list(queue).length;
  }

  /** Jobs taken and not yet acked (for tests and the tracker's state). */
  activeCount(queue: string): number {
    return this.active.get(queue)?.size ?? 0;
  }

  private list(queue: string): QueuedJob<T>[] {
    let list = this.waiting.get(queue);
    if (!list) {
      list = [];
      this.waiting.set(queue, list);
    }
    return list;
  }
}
