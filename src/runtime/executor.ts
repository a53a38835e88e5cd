/**
 * A model resident on a slice: every buffer allocated once (weights uploaded once), every kernel
 * loaded once, the whole model captured as one CUDA graph. A run uploads the inputs, replays the
 * graph and downloads the outputs; timing replays the graph alone, each replay between events.
 */
import type { DeviceBuffer, GraphLaunch, KernelGraph, LoadedKernel, SliceContext } from '../gpu/backend.js';
import type { KernelBinary } from '../gpu/types.js';
import { SlicetuneError } from '../util/errors.js';
import type { ExecutionPlan } from './types.js';

/** Generous: a whole model's replay is milliseconds; a stuck one must still end. */
const BASE_TIMEOUT_MS = 60_000;
const TIMEOUT_PER_REPLAY_MS = 250;

export class ModelExecutor {
  private closed = false;

  private constructor(
    private readonly ctx: SliceContext,
    private readonly plan: ExecutionPlan,
    private readonly buffers: Map<string, DeviceBuffer>,
    private readonly kernels: LoadedKernel[],
    private readonly graph: KernelGraph,
  ) {}

  /**
   * Allocates, uploads `weights`, loads `binaries` (one per launch of the plan; identical ones
   * once) and captures the graph. Everything made so far is released if a step fails.
   */
  static open(
    ctx: SliceContext,
    plan: ExecutionPlan,
    binaries: readonly KernelBinary[],
    weights: ReadonlyMap<string, Float32Array>,
  ): ModelExecutor {
    if (binaries.length !== plan.launches.length) {
      throw new SlicetuneError(
        'INTERNAL',
        `${binaries.length} binaries for ${plan.launches.length} launches`,
      );
    }
    const buffers = new Map<string, DeviceBuffer>();
    const loaded = new Map<string, LoadedKernel>();
    try {
      for (const [name, { elements, role }] of plan.storage) {
        const buffer = ctx.alloc(elements * 4);
        buffers.set(name, buffer);
        if (role !== 'weight') continue;
        const data = weights.get(name);
        if (!data || data.length !== elements) {
          throw new SlicetuneError(
            'BAD_MODEL',
            `weight '${name}': ${data?.length ?? 'no'} values, ${elements} expected`,
          );
        }
        ctx.upload(buffer, data);
      }
      const launches: GraphLaunch[] = plan.launches.map((launch, i) => {
        const binary = binaries[i] as KernelBinary;
        const id = `${binary.hash}|${launch.source.entry}`;
        let kernel = loaded.get(id);
        if (!kernel) {
          kernel = ctx.load(binary, launch.source);
          loaded.set(id, kernel);
        }
        const args = launch.tensors.map((t) => buffers.get(t) as DeviceBuffer);
        return { kernel, source: launch.source, args };
      });
      const graph = ctx.captureGraph(launches);
      return new ModelExecutor(ctx, plan, buffers, [...loaded.values()], graph);
    } catch (e) {
      for (const k of loaded.values()) quietly(() => ctx.unload(k));
      for (const b of buffers.values()) quietly(() => ctx.free(b));
      throw e;
    }
  }

  /** Distinct kernels loaded. */
  get uniqueKernels(): number {
    return this.kernels.length;
  }

  get bufferCount(): number {
    return this.buffers.size;
  }

  get bufferBytes(): number {
    let bytes = 0;
    for (const b of this.buffers.values()) bytes += b.bytes;
    return bytes;
  }

  /** One inference: uploads the inputs, replays the graph once, downloads the outputs. */
  async run(inputs: Readonly<Record<string, Float32Array>>): Promise<Record<string, Float32Array>> {
    this.checkOpen();
    for (const { name, shape } of this.plan.inputs) {
      const data = inputs[name];
      const elements = shape.reduce((a, b) => a * b, 1);
      if (!data || data.length !== elements) {
        throw new SlicetuneError(
          'BAD_OPTION',
          `input '${name}': ${data?.length ?? 'no'} values, shape [${shape}] needs ${elements}`,
        );
      }
      this.ctx.upload(this.bufferOf(name), data);
    }
    await this.replay(1);
    const outputs: Record<string, Float32Array> = {};
    for (const { name } of this.plan.outputs) outputs[name] = this.ctx.download(this.bufferOf(name));
    return outputs;
  }

  /** Replays the graph `warmup` times untimed, then `runs` times; each replay's milliseconds. */
  async time(runs: number, warmup: number): Promise<number[]> {
    this.checkOpen();
    if (!Number.isInteger(runs) || runs < 1)
      throw new SlicetuneError('BAD_OPTION', `runs must be a positive integer, got ${runs}`);
    if (warmup > 0) await this.replay(warmup);
    return this.replay(runs);
  }

  memInfo(): { free: number; total: number } {
    return this.ctx.memInfo();
  }

  /** Destroys the graph, unloads the kernels and frees the buffers (the slice stays open). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    quietly(() => this.ctx.destroyGraph(this.graph));
    for (const k of this.kernels) quietly(() => this.ctx.unload(k));
    for (const b of this.buffers.values()) quietly(() => this.ctx.free(b));
  }

  private replay(count: number): Promise<number[]> {
    return this.ctx.replayGraph(this.graph, {
      count,
      timeoutMs: BASE_TIMEOUT_MS + count * TIMEOUT_PER_REPLAY_MS,
    });
  }

  private bufferOf(tensor: string): DeviceBuffer {
    const at = this.plan.home.get(tensor);
    const buffer = at === undefined ? undefined : this.buffers.get(at);
    if (!buffer) throw new SlicetuneError('INTERNAL', `tensor '${tensor}' has no buffer`);
    return buffer;
  }

  private checkOpen(): void {
    if (this.closed) throw new SlicetuneError('INTERNAL', `the executor of ${this.plan.graphName} is closed`);
  }
}

function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // releasing after another error, or on a slice already closed: nothing more to do
  }
}
