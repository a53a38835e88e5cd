/**
 * Measures one item on one slice: load, check against the reference, warm up, time.
 * Runs inside a runner process. GPU errors become MeasureFailure values; `fatal` tells the
 * process that its context is gone (sticky fault, or a kernel that never finished).
 */
import type { DeviceBuffer, LaunchArg, LoadedKernel, SliceContext } from '../gpu/backend.js';
import { CompileError, CudaError, KernelTimeoutError, ResourceError } from '../gpu/errors.js';
import type { KernelSource } from '../gpu/types.js';
import { median } from '../util/stats.js';
import { compareOutputs, describeMismatch } from './check.js';
import { randomInput } from './inputs.js';
import type { RunnerItem } from './protocol.js';
import { type FailureKind, launchesPerGroup, type MeasureOptions, type MeasureResult } from './types.js';

/** Device buffers and the reference output of one workload, kept while its configs are measured. */
interface WorkloadState {
  computes: string;
  buffers: DeviceBuffer[];
  args: LaunchArg[];
  output: DeviceBuffer;
  reference: Float32Array;
}

/** Workloads kept resident; older ones are freed (a tuning client moves task by task). */
const RESIDENT_WORKLOADS = 3;
/** Host-side time a step may take beyond its kernels (copies, module load, messages). */
const STEP_SLACK_MS = 5_000;

/** The reference is a plain loop: it gets far more time than a tuned kernel does. */
function referenceTimeoutMs(options: MeasureOptions): number {
  return Math.max(options.timeoutMs * 20, 10_000);
}

export interface ItemOutcome {
  result: MeasureResult;
  fatal: boolean;
}

export class SliceMeasurer {
  private readonly workloads: WorkloadState[] = [];

  constructor(private readonly ctx: SliceContext) {}

  /**
   * `beat` is called before each GPU step with the longest that step may take, so the host's
   * watchdog can tell a slow kernel from a process that is stuck.
   */
  async measure(
    item: RunnerItem,
    options: MeasureOptions,
    beat: (budgetMs: number) => void = () => {},
  ): Promise<ItemOutcome> {
    const compileMs = item.binary.compileMs;
    const binaryHash = item.binary.hash;
    let loaded: LoadedKernel | undefined;
    let contextAlive = true;
    try {
      beat(referenceTimeoutMs(options) + STEP_SLACK_MS);
      const state = await this.workloadState(item, options);
      loaded = this.ctx.load(item.binary, item.kernel);
      const { kernel } = item;
      let maxRelError = 0;
      // The first run is the check (or an unchecked probe): a hanging kernel is caught here,
      // with the timeout of a single launch.
      if (options.check) this.ctx.fill(state.output, 0xff);
      beat(options.timeoutMs + STEP_SLACK_MS);
      await this.ctx.run(loaded, kernel, state.args, options.timeoutMs);
      if (options.check) {
        const out = this.ctx.download(state.output);
        const c = compareOutputs(out, state.reference, item.tolerance);
        if (!c.ok) return failure('wrong', describeMismatch(c, out, state.reference), compileMs, binaryHash);
        maxRelError = c.maxRelError;
      }
      const group = (count: number, flushL2: boolean) => {
        beat(options.timeoutMs * count + STEP_SLACK_MS);
        return this.ctx.time(loaded as LoadedKernel, kernel, state.args, {
          count,
          flushL2,
          timeoutMs: options.timeoutMs * count,
        });
      };
      const warm = options.warmup > 0 ? await group(options.warmup, false) : 0;
      const number = launchesPerGroup(options, warm);
      const timesMs: number[] = [];
      for (let r = 0; r < options.repeat; r++) timesMs.push(await group(number, options.flushL2));
      return {
        fatal: false,
        result: {
          ok: true,
          timesMs,
          medianMs: median(timesMs),
          compileMs,
          checked: options.check,
          maxRelError,
          binaryHash,
          registers: loaded.numRegs,
        },
      };
    } catch (e) {
      const outcome = classify(e, compileMs, binaryHash);
      contextAlive = !outcome.fatal;
      return outcome;
    } finally {
      // A dead context may block on unload (a hung kernel still runs): leave it to the exit.
      if (loaded && contextAlive) this.safeUnload(loaded);
    }
  }

  close(): void {
    for (const w of this.workloads.splice(0)) this.freeWorkload(w);
  }

  /** Inputs filled once per workload; the reference kernel's output is the check's truth. */
  private async workloadState(item: RunnerItem, options: MeasureOptions): Promise<WorkloadState> {
    const computes = item.kernel.computes;
    const found = this.workloads.find((w) => w.computes === computes);
    if (found) return found;
    while (this.workloads.length >= RESIDENT_WORKLOADS)
      this.freeWorkload(this.workloads.shift() as WorkloadState);
    const state = this.allocate(item.reference);
    this.workloads.push(state);
    const ref = this.ctx.load(item.referenceBinary, item.reference);
    try {
      this.ctx.fill(state.output, 0xff);
      // The reference is a plain loop: give it far more time than a tuned kernel gets.
      await this.ctx.run(ref, item.reference, state.args, referenceTimeoutMs(options));
      state.reference = this.ctx.download(state.output);
    } catch (e) {
      throw new ReferenceFailure(e);
    } finally {
      this.safeUnload(ref);
    }
    return state;
  }

  private allocate(source: KernelSource): WorkloadState {
    const buffers: DeviceBuffer[] = [];
    const args: LaunchArg[] = [];
    let output: DeviceBuffer | undefined;
    for (const arg of source.args) {
      if (arg.kind === 'scalar') {
        args.push(arg.ctype === 'int' ? { int: arg.value } : { float: arg.value });
        continue;
      }
      const buf = this.ctx.alloc(arg.elements * 4);
      buffers.push(buf);
      args.push(buf);
      if (arg.role === 'input') this.ctx.upload(buf, randomInput(source.computes, arg.name, arg.elements));
      else output = buf;
    }
    if (!output) throw new ResourceError(`kernel ${source.entry} has no output buffer argument`);
    return { computes: source.computes, buffers, args, output, reference: new Float32Array(0) };
  }

  private freeWorkload(w: WorkloadState): void {
    for (const b of w.buffers) {
      try {
        this.ctx.free(b);
      } catch {
        // A poisoned context cannot free; the process is about to be replaced anyway.
      }
    }
  }

  private safeUnload(k: LoadedKernel): void {
    try {
      this.ctx.unload(k);
    } catch {
      // Same as above: nothing more to do in a dead context.
    }
  }
}

/** The trusted reference kernel failed: say so, whatever the underlying error was. */
class ReferenceFailure extends Error {
  constructor(readonly inner: unknown) {
    super(`reference kernel failed: ${inner instanceof Error ? inner.message : String(inner)}`);
  }
}

function failure(kind: FailureKind, message: string, compileMs: number, binaryHash: string): ItemOutcome {
  return { fatal: false, result: { ok: false, kind, message, compileMs, binaryHash } };
}

/** Maps what the backend threw to a failure kind, and says whether the context survived. */
export function classify(e: unknown, compileMs: number, binaryHash: string): ItemOutcome {
  const err = e instanceof ReferenceFailure ? e.inner : e;
  const prefix = e instanceof ReferenceFailure ? 'reference kernel: ' : '';
  const message = prefix + (err instanceof Error ? err.message : String(err));
  const out = (kind: FailureKind, fatal: boolean): ItemOutcome => ({
    fatal,
    result: { ok: false, kind, message, compileMs, binaryHash },
  });
  if (err instanceof KernelTimeoutError) return out('timeout', true);
  if (err instanceof ResourceError) return out('resources', false);
  if (err instanceof CompileError) return out('compile', false);
  if (err instanceof CudaError) {
    if (err.sticky) return out('fault', true);
    if (LOAD_ERRORS.has(err.cudaName)) return out('compile', false);
    if (err.cudaName === 'CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES') return out('resources', false);
    return out('fault', false);
  }
  return out('fault', false);
}

/** Errors loading a binary: the build, not the run, is at fault. */
const LOAD_ERRORS = new Set([
  'CUDA_ERROR_INVALID_IMAGE',
  'CUDA_ERROR_INVALID_PTX',
  'CUDA_ERROR_NO_BINARY_FOR_GPU',
  'CUDA_ERROR_UNSUPPORTED_PTX_VERSION',
  'CUDA_ERROR_NOT_FOUND',
  'CUDA_ERROR_SHARED_OBJECT_INIT_FAILED',
]);
