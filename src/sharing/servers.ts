/**
 * The measurement servers are the slice pool's: one runner process per slice for mps, timeslice
 * and exclusive, one process holding every green context for green. The pool restarts a runner
 * that dies under an item, requeues what it was measuring, re-runs suspects alone and restarts
 * every MPS client after an MPS-wide fault, and restarts one that dies while idle; this module
 * gives the tracker its view of them.
 */
import type { SlicePool } from '../measure/pool.js';
import type { RunnerProcess } from '../measure/runner-process.js';
import type { TrackedServer } from './tracker.js';

export function trackedServersOf(pool: SlicePool, percent: number): TrackedServer[] {
  const groups = new Map<RunnerProcess, string>();
  for (const s of pool.servers) if (!groups.has(s.process)) groups.set(s.process, `runner-${groups.size}`);
  return pool.servers.map((s) => ({
    index: s.index,
    slice: s.slice,
    percent,
    group: groups.get(s.process) as string,
    health: () => ({ alive: s.process.alive, restarts: Math.max(0, s.process.restarts) }),
  }));
}
