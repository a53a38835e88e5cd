/**
 * A per-compile trace of where a compile worker's wall time went, for diagnosing compiles that
 * run 5-10x slower inside a tuning loop than the same source compiled alone (bench/compile on
 * the lent H100 VM, 2026-11-27). Off unless SLICETUNE_COMPILE_TRACE names a directory; each
 * worker then appends one JSON line per compile to `compile-<pid>.jsonl` there.
 *
 * The split: CPU time this process used (user, system), time it waited runnable for a CPU of
 * the guest (/proc/self/schedstat), page faults and context switches, and the whole machine's
 * stolen time (/proc/stat: the hypervisor ran someone else). Wall time none of these explain is
 * time the worker was blocked.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineCpuTicks, procStatFields, USER_HZ_MS } from '../util/proc.js';

export const COMPILE_TRACE_ENV = 'SLICETUNE_COMPILE_TRACE';

export interface CompileTraceLine {
  /** hashOf(kernel.code): joins a line to the config compiled. */
  source: string;
  pid: number;
  /** Epoch ms when the compile began. */
  startedAt: number;
  /** Idle time of this worker since its previous compile ended (undefined for its first). */
  idleBeforeMs?: number;
  wallMs: number;
  userMs: number;
  systemMs: number;
  /** Runnable but waiting for a guest CPU; undefined off Linux. */
  runQueueMs?: number;
  minorFaults: number;
  majorFaults: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
  /** The machine's stolen CPU time over the compile, all CPUs summed; undefined off Linux. */
  machineStealMs?: number;
  /** A fixed piece of integer arithmetic timed just before the compile: is the CPU itself slow? */
  spinMs: number;
  /**
   * Nanoseconds per step of a random walk over 64 MiB timed just before the compile: a step is
   * a cache and TLB miss, so this is the memory's latency as the worker sees it.
   */
  chaseNsPerStep: number;
  /**
   * CPU time of the compiling (main) thread and of all the process's other threads together
   * (/proc/self/task, 10-ms ticks): does NVRTC itself burn the time, or a helper thread?
   */
  mainThreadCpuMs?: number;
  otherThreadsCpuMs?: number;
  /** Threads of the process when the compile ended. */
  threads?: number;
  /** The CPU the worker was on when the compile began and ended; undefined off Linux. */
  cpuBefore?: number;
  cpuAfter?: number;
}

interface Snapshot {
  threadTicks?: Map<string, number>;
  wall: number;
  epoch: number;
  usage: NodeJS.ResourceUsage;
  runQueueNs?: number;
  stealTicks?: number;
}

function readRunQueueNs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/);
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** The CPU this process last ran on (/proc/self/stat field 39). */
function currentCpu(): number | undefined {
  const cpu = Number(procStatFields('/proc/self/stat')?.[36]);
  return Number.isFinite(cpu) ? cpu : undefined;
}

/** Milliseconds a fixed 2-million-step integer loop takes (15-19 ms on the lent H100 machine). */
function timeSpin(): number {
  const t = performance.now();
  let x = 1;
  for (let i = 0; i < 2_000_000; i++) x = (x * 1103515245 + 12345) | 0;
  if (x === 42) console.log(''); // keep the loop from being optimized away
  return performance.now() - t;
}

/** utime + stime ticks (proc(5) fields 14 and 15) of each thread of this process, by thread id. */
function readThreadTicks(): Map<string, number> | undefined {
  try {
    const ticks = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      const fields = procStatFields(`/proc/self/task/${tid}/stat`);
      if (fields) ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    }
    return ticks;
  } catch {
    return undefined;
  }
}

/** Main-thread and other-thread CPU ms between two per-thread snapshots. */
function threadSplit(a: Map<string, number> | undefined, b: Map<string, number> | undefined) {
  if (!a || !b) return {};
  let main = 0;
  let others = 0;
  for (const [tid, after] of b) {
    const d = (after - (a.get(tid) ?? 0)) * USER_HZ_MS;
    if (tid === String(process.pid)) main += d;
    else others += d;
  }
  return { mainThreadCpuMs: main, otherThreadsCpuMs: others, threads: b.size };
}

const CHASE_BYTES = 64 * 2 ** 20;
const CHASE_STEPS = 100_000;
let chaseRing: Int32Array | undefined;

/** One random cycle through the array (Sattolo's shuffle), so every step lands somewhere new. */
function makeRing(): Int32Array {
  const n = CHASE_BYTES / 4;
  const ring = new Int32Array(n);
  for (let i = 0; i < n; i++) ring[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * i);
    const t = ring[i] as number;
    ring[i] = ring[j] as number;
    ring[j] = t;
  }
  return ring;
}

function timeChase(): number {
  chaseRing ??= makeRing();
  const ring = chaseRing;
  const t = performance.now();
  let at = 0;
  for (let i = 0; i < CHASE_STEPS; i++) at = ring[at] as number;
  const ns = ((performance.now() - t) * 1e6) / CHASE_STEPS;
  if (at === -1) console.log(''); // keep the walk from being optimized away
  return ns;
}

function snapshot(): Snapshot {
  return {
    threadTicks: readThreadTicks(),
    wall: performance.now(),
    epoch: Date.now(),
    usage: process.resourceUsage(),
    runQueueNs: readRunQueueNs(),
    stealTicks: machineCpuTicks()?.steal,
  };
}

function delta(a: number | undefined, b: number | undefined, scale: number): number | undefined {
  return a === undefined || b === undefined ? undefined : (b - a) * scale;
}

/** Traces compiles when the variable is set; otherwise every call is a no-op. */
export class CompileTracer {
  private readonly file: string | undefined;
  private lastEnd: number | undefined;

  constructor(dir = process.env[COMPILE_TRACE_ENV]) {
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `compile-${process.pid}.jsonl`);
  }

  /** Runs `compile`, tracing it; a trace that cannot be written never fails the compile. */
  trace<T>(sourceOf: () => string, compile: () => T): T {
    if (!this.file) return compile();
    const spinMs = timeSpin();
    const chaseNsPerStep = timeChase();
    const cpuBefore = currentCpu();
    const before = snapshot();
    try {
      return compile();
    } finally {
      const after = snapshot();
      const line: CompileTraceLine = {
        source: sourceOf(),
        pid: process.pid,
        startedAt: before.epoch,
        ...(this.lastEnd === undefined ? {} : { idleBeforeMs: before.wall - this.lastEnd }),
        wallMs: after.wall - before.wall,
        userMs: (after.usage.userCPUTime - before.usage.userCPUTime) / 1000,
        systemMs: (after.usage.systemCPUTime - before.usage.systemCPUTime) / 1000,
        runQueueMs: delta(before.runQueueNs, after.runQueueNs, 1e-6),
        minorFaults: after.usage.minorPageFault - before.usage.minorPageFault,
        majorFaults: after.usage.majorPageFault - before.usage.majorPageFault,
        voluntarySwitches: after.usage.voluntaryContextSwitches - before.usage.voluntaryContextSwitches,
        involuntarySwitches: after.usage.involuntaryContextSwitches - before.usage.involuntaryContextSwitches,
        machineStealMs: delta(before.stealTicks, after.stealTicks, USER_HZ_MS),
        spinMs,
        chaseNsPerStep,
        ...threadSplit(before.threadTicks, after.threadTicks),
        cpuBefore,
        cpuAfter: currentCpu(),
      };
      this.lastEnd = after.wall;
      try {
        appendFileSync(this.file, `${JSON.stringify(line)}\n`);
      } catch {
        // a diagnostic: losing a line must not cost the compile
      }
    }
  }
}

/** Every line the workers wrote under `dir`. */
export function readCompileTrace(dir: string): CompileTraceLine[] {
  return readdirSync(dir)
    .filter((f) => /^compile-\d+\.jsonl$/.test(f))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as CompileTraceLine),
    );
}
