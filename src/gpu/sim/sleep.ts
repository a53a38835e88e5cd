/** Sleeping simulated time (already scaled by timeScale) without overflowing setTimeout. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, Math.min(ms, MAX_TIMER_MS))) : Promise.resolve();
