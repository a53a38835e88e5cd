/**
 * A signal that aborts after a time limit, or when a parent signal does. Held by a plain timer:
 * on Node 20, AbortSignal.timeout() and AbortSignal.any() signals that only event listeners
 * refer to can be garbage-collected before they fire, and a tuning run's limit then never came.
 */
export interface Deadline {
  signal: AbortSignal;
  /** Stops the timer and forgets the parent (call when the work ends). */
  clear(): void;
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`time limit of ${ms / 1000} s reached`)), ms);
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}
