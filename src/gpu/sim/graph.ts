/**
 * Captured graphs on the simulated GPU (model.ts section 11): the launches are checked at capture
 * like cuLaunchKernel would check them, kept in order, and replayed by the slice. What a replay
 * writes is decided here: launch by launch, in capture order.
 */
import type { DeviceBuffer, GraphLaunch, GraphReplayOptions, KernelGraph, LaunchArg } from '../backend.js';
import { KernelTimeoutError } from '../errors.js';
import type { DeviceInfo, KernelSource, Slice } from '../types.js';
import { simCudaError } from './cuda-codes.js';
import { bindLaunch, writeOutputs } from './launch-data.js';
import type { MemoryLedger } from './memory.js';
import { simulateGraphTime, simulateKernelTime } from './model.js';
import { sleep } from './sleep.js';

export class SimGraph implements KernelGraph {
  destroyed = false;
  constructor(
    /** The slice that captured it: it replays only there. */
    readonly owner: object,
    readonly steps: readonly GraphLaunch[],
    /** Device memory the instantiated graph holds (ledger units). */
    readonly graphBytes: number,
    /** Whether every replay writes the same values (section 11), so a group applies them once. */
    readonly idempotent: boolean,
  ) {}

  get launches(): number {
    return this.steps.length;
  }
}

function buffersOf(
  source: KernelSource,
  args: readonly LaunchArg[],
  role: 'input' | 'output',
): DeviceBuffer[] {
  const out: DeviceBuffer[] = [];
  source.args.forEach((decl, i) => {
    const arg = args[i];
    if (decl.kind === 'buffer' && decl.role === role && arg && !('int' in arg) && !('float' in arg))
      out.push(arg);
  });
  return out;
}

/**
 * True unless some launch reads a buffer that it or a later launch writes: then a second replay
 * would read what the first one wrote, and replays differ.
 */
export function replaysAgree(steps: readonly GraphLaunch[]): boolean {
  const writtenLater = new Set<DeviceBuffer>();
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i] as GraphLaunch;
    for (const b of buffersOf(step.source, step.args, 'output')) writtenLater.add(b);
    if (buffersOf(step.source, step.args, 'input').some((b) => writtenLater.has(b))) return false;
  }
  return true;
}

/** Checks arity and argument kinds of every launch, as capturing cuLaunchKernel calls would. */
export function checkCapturedLaunches(steps: readonly GraphLaunch[], ledger: MemoryLedger): void {
  if (steps.length === 0) {
    throw simCudaError('cuStreamEndCapture', 'CUDA_ERROR_INVALID_VALUE', 'no launches were captured');
  }
  for (const { source, args } of steps) {
    if (args.length !== source.args.length) {
      throw simCudaError(
        'cuLaunchKernel',
        'CUDA_ERROR_INVALID_VALUE',
        `kernel "${source.entry}": ${args.length} arguments given, ${source.args.length} declared`,
      );
    }
    source.args.forEach((decl, i) => {
      const arg = args[i] as LaunchArg;
      const scalar = 'int' in arg || 'float' in arg;
      if (decl.kind === 'buffer' && !scalar) ledger.own(arg, 'cuLaunchKernel');
      if ((decl.kind === 'buffer') === scalar) {
        throw simCudaError(
          'cuLaunchKernel',
          'CUDA_ERROR_INVALID_VALUE',
          `kernel "${source.entry}": argument "${decl.name}" must be a ${decl.kind === 'buffer' ? 'buffer' : `${decl.ctype} scalar`}`,
        );
      }
    });
  }
}

/**
 * Applies one replay's data effects, launch by launch. Returns the first problem that faults
 * the replay (a planted fault or a buffer smaller than its argument), with the kernel's name.
 */
export function applyReplayData(graph: SimGraph, ledger: MemoryLedger): string | null {
  for (const { source, args } of graph.steps) {
    const bound = bindLaunch(source, args, ledger);
    if (source.model.simBehavior === 'fault') return `"${source.entry}": planted fault (simBehavior)`;
    if (bound.outOfBounds) return `"${source.entry}": ${bound.outOfBounds}`;
    writeOutputs(source, bound);
  }
  return null;
}

/** What a replay needs from its slice and process. */
export interface ReplayEnv {
  device: DeviceInfo;
  slice: Slice;
  coRunningSlices: number;
  timeScale: number;
  ledger: MemoryLedger;
  /** The next timed group's noise factor. */
  noise: () => number;
  /** Makes the error sticky for the process and returns it. */
  poison: (e: Error) => Error;
}

/** `count` replays: each the graph's modelled time with its own noise draw (section 11). */
export async function replaySimGraph(
  g: SimGraph,
  options: GraphReplayOptions,
  env: ReplayEnv,
): Promise<number[]> {
  const call = 'cuGraphLaunch';
  const { count, timeoutMs } = options;
  if (!Number.isInteger(count) || count < 1 || !(timeoutMs > 0))
    throw simCudaError(call, 'CUDA_ERROR_INVALID_VALUE', `count ${count}, timeout ${timeoutMs} ms`);
  const context = { mechanism: env.slice.mechanism, coRunningSlices: env.coRunningSlices };
  const kernelMs = g.steps.map((s) => simulateKernelTime(s.source, env.device, env.slice.sms, context));
  const modelMs = simulateGraphTime(kernelMs);
  const times = Array.from({ length: count }, () => modelMs * env.noise());
  const total = times.reduce((a, b) => a + b, 0);
  if (g.steps.some((s) => s.source.model.simBehavior === 'block')) {
    // A driver call stuck behind a hung kernel: the thread never returns (only a kill helps).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  if (total > timeoutMs) {
    await sleep(timeoutMs * env.timeScale);
    const hung = g.steps.find((s) => s.source.model.simBehavior === 'hang');
    const what = hung
      ? `"${hung.source.entry}" never finishes (planted hang)`
      : `needs ${total.toFixed(3)} ms`;
    const where = `${count} replays of a ${g.launches}-launch graph on simulated slice ${env.slice.id}`;
    throw env.poison(new KernelTimeoutError(`${where} timed out after ${timeoutMs} ms: ${what}`));
  }
  await sleep(total * env.timeScale);
  for (let r = 0; r < (g.idempotent ? 1 : count); r++) {
    const fault = applyReplayData(g, env.ledger);
    if (fault) throw env.poison(simCudaError(call, 'CUDA_ERROR_ILLEGAL_ADDRESS', fault));
  }
  return times;
}
