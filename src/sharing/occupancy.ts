/**
 * GPU measurement occupancy: slice-seconds spent in measured kernels over wall time times slices.
 * A runner reports each repeat's mean time per launch, not how many launches it made, so the
 * kernel time of an item is rebuilt from the options the slice measurer follows: one checked
 * run, `warmup` launches, then `repeat` groups of `number` launches (`number` raised so that a
 * group lasts `minRepeatMs`, as the measurer does from the warm-up's time).
 */
import {
  launchesPerGroup,
  type MeasuredItem,
  type MeasureOptions,
  type MeasureResult,
} from '../measure/types.js';

/** Estimated ms the item's kernel ran on its slice (0 for failures: their time is not a measurement). */
export function kernelMsOf(result: MeasureResult, options: MeasureOptions): number {
  if (!result.ok) return 0;
  const per = result.medianMs;
  // The measurer sized its groups from the warm-up's time; the median stands in for it here.
  const timed = result.timesMs.reduce((a, t) => a + t, 0) * launchesPerGroup(options, per);
  return timed + per * (1 + options.warmup);
}

export interface ServerUsage {
  kernelMs: number;
  runnerMs: number;
  items: number;
}

/**
 * Per-server sums of kernel time and runner time. `wallPerKernelMs` turns a kernel's reported ms
 * into wall ms: 1 on a real GPU; the simulated GPU reports model ms and sleeps them × timeScale.
 */
export class OccupancyMeter {
  private readonly usage: ServerUsage[];

  constructor(
    servers: number,
    private readonly options: MeasureOptions,
    private readonly wallPerKernelMs = 1,
  ) {
    this.usage = Array.from({ length: servers }, () => ({ kernelMs: 0, runnerMs: 0, items: 0 }));
  }

  /** Adds measured items; those answered from an earlier identical binary (runWallMs 0) ran nothing. */
  add(server: number, items: readonly MeasuredItem[]): void {
    const u = this.usage[server];
    if (!u) return;
    for (const m of items) {
      if (m.runWallMs <= 0) continue;
      u.kernelMs += kernelMsOf(m.result, this.options) * this.wallPerKernelMs;
      u.runnerMs += m.runWallMs;
      u.items++;
    }
  }

  of(server: number): ServerUsage {
    return { ...(this.usage[server] ?? { kernelMs: 0, runnerMs: 0, items: 0 }) };
  }

  /** Σ kernel ms / (wall ms × slices). */
  occupancy(wallMs: number): number {
    if (!(wallMs > 0) || this.usage.length === 0) return 0;
    return this.usage.reduce((a, u) => a + u.kernelMs, 0) / (wallMs * this.usage.length);
  }
}
