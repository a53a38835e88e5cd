/**
 * What a slice has created on the GPU (modules, buffers, events, the L2 scratch buffer), kept so
 * that closing the slice gives all of it back: over thousands of configs nothing may leak.
 */
import { type CudaDriver, check, type Handle, outHandle } from './driver.js';
import { type CudaGraph, destroyCudaGraph } from './graph.js';
import { CudaBuffer } from './launch.js';

interface ModuleOwner {
  readonly module: Handle;
}

export class SliceResources {
  readonly kernels = new Set<ModuleOwner>();
  readonly buffers = new Set<CudaBuffer>();
  readonly graphs = new Set<CudaGraph>();
  private readonly allEvents: Handle[] = [];
  private readonly idleEvents: Handle[] = [];
  private scratch: CudaBuffer | undefined;

  constructor(private readonly driver: CudaDriver) {}

  /** `n` events for one operation; concurrent operations never share an event. */
  takeEvents(n: number, create: () => Handle): Handle[] {
    const taken = this.idleEvents.splice(0, n);
    while (taken.length < n) {
      const event = create();
      this.allEvents.push(event);
      taken.push(event);
    }
    return taken;
  }

  returnEvents(events: readonly Handle[]): void {
    this.idleEvents.push(...events);
  }

  /** A buffer of twice the L2 size, overwritten before a launch to evict its cached lines. */
  l2Scratch(l2Bytes: number): CudaBuffer {
    if (!this.scratch) {
      const bytes = Math.max(2 * l2Bytes, 1 << 20);
      const cu = this.driver.cu;
      const ptr = outHandle((p) => check('cuMemAlloc_v2', cu.cuMemAlloc_v2(p, bytes)));
      this.scratch = new CudaBuffer(ptr, bytes);
    }
    return this.scratch;
  }

  unloadModuleQuietly(module: Handle): void {
    try {
      check('cuModuleUnload', this.driver.cu.cuModuleUnload(module));
    } catch {
      // called while another error is on its way out; that one is worth reporting
    }
  }

  /** Releases everything (with the slice's context current) and returns the errors met. */
  releaseAll(stream: Handle): unknown[] {
    const cu = this.driver.cu;
    const errors: unknown[] = [];
    const attempt = (call: string, run: () => unknown) => {
      try {
        check(call, run());
      } catch (e) {
        errors.push(e);
      }
    };
    // Let queued work finish before its memory goes away.
    attempt('cuStreamSynchronize', () => cu.cuStreamSynchronize(stream));
    // Graphs hold launches of the modules and buffers below: they go first.
    const graphApi = this.driver.graph;
    if (graphApi) for (const graph of this.graphs) errors.push(...destroyCudaGraph(graphApi, graph));
    this.graphs.clear();
    for (const kernel of this.kernels) attempt('cuModuleUnload', () => cu.cuModuleUnload(kernel.module));
    this.kernels.clear();
    const buffers = [...this.buffers, ...(this.scratch ? [this.scratch] : [])];
    for (const buffer of buffers) {
      buffer.freed = true;
      attempt('cuMemFree_v2', () => cu.cuMemFree_v2(buffer.ptr));
    }
    this.buffers.clear();
    this.scratch = undefined;
    for (const event of this.allEvents) attempt('cuEventDestroy_v2', () => cu.cuEventDestroy_v2(event));
    this.allEvents.length = 0;
    this.idleEvents.length = 0;
    attempt('cuStreamDestroy_v2', () => cu.cuStreamDestroy_v2(stream));
    return errors;
  }
}
