/**
 * Admission by share of the GPU: running jobs' claims add up to at most the limit (100% unless
 * the service is told to keep some of the GPU back). What does not fit waits in a FIFO queue;
 * the head is admitted first, so a large job is never starved by small ones behind it.
 */
export interface Claimant {
  /** Percent of the GPU, in (0, limit]. */
  readonly claim: number;
}

export class AdmissionQueue<T extends Claimant> {
  private readonly waiting: T[] = [];
  private readonly running = new Set<T>();

  constructor(readonly limit = 100) {}

  get inUse(): number {
    let sum = 0;
    for (const item of this.running) sum += item.claim;
    return sum;
  }

  get queued(): readonly T[] {
    return this.waiting;
  }

  enqueue(item: T): void {
    this.waiting.push(item);
  }

  /** Takes an item out of the queue (a cancelled job that never started); false if not queued. */
  remove(item: T): boolean {
    const i = this.waiting.indexOf(item);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  release(item: T): void {
    this.running.delete(item);
  }

  /** Moves every head of the queue that fits into the running set; returns them in order. */
  admit(): T[] {
    const admitted: T[] = [];
    // Small sums of percentages: a tolerance keeps 33.3 + 33.3 + 33.4 from being refused.
    while (this.waiting.length > 0 && this.inUse + (this.waiting[0]?.claim ?? 0) <= this.limit + 1e-9) {
      const next = this.waiting.shift() as T;
      this.running.add(next);
      admitted.push(next);
    }
    return admitted;
  }

  /** 1-based place in the queue, or null when not waiting. */
  position(item: T): number | null {
    const i = this.waiting.indexOf(item);
    return i < 0 ? null : i + 1;
  }
}
