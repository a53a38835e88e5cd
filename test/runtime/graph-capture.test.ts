import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceBuffer, GpuBackend, GraphLaunch, SliceContext } from '../../src/gpu/backend.js';
import { CudaError } from '../../src/gpu/errors.js';
import {
  createSimBackend,
  createSimCompiler,
  SIM_DEVICE_INFO,
  simulateKernelTime,
} from '../../src/gpu/sim/index.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { makeKernel } from '../sim/fixtures.js';
import { randomData, rejection, thrown } from '../sim/harness.js';

const compiler = createSimCompiler('sm_90');
const backends: GpuBackend[] = [];
function open(percent = 50): SliceContext {
  const backend = createSimBackend({ timeScale: 0, seed: 5 });
  backends.push(backend);
  return backend.openSlice({ mechanism: 'green', percent });
}
afterEach(() => {
  for (const b of backends.splice(0)) b.close();
});

const first = makeKernel({ entry: 'first', computes: 'first', grid: 64 });
const second = makeKernel({ entry: 'second', computes: 'second', grid: 128 });

/** x -> first(x, w) -> y -> second(y, w) -> z, as graph launches and buffers. */
function chain(ctx: SliceContext) {
  const n = 1024;
  const [x, w, y, z] = [0, 1, 2, 3].map(() => ctx.alloc(n * 4)) as [
    DeviceBuffer,
    DeviceBuffer,
    DeviceBuffer,
    DeviceBuffer,
  ];
  ctx.upload(x, randomData(n, 1));
  ctx.upload(w, randomData(n, 2));
  const launch = (k: KernelSource, a: DeviceBuffer, out: DeviceBuffer): GraphLaunch => ({
    kernel: ctx.load(compiler.compile(k), k),
    source: k,
    args: [a, w, out, { int: n }],
  });
  return { x, y, z, launches: [launch(first, x, y), launch(second, y, z)] };
}

describe('CUDA graphs on the simulated GPU', () => {
  it('replays as the sum of its kernels, with one launch overhead for the whole graph', async () => {
    const ctx = open();
    const { launches } = chain(ctx);
    const graph = ctx.captureGraph(launches);
    expect(graph.launches).toBe(2);
    const times = await ctx.replayGraph(graph, { count: 40, timeoutMs: 1000 });
    expect(times).toHaveLength(40);
    const alone = [first, second].map((k) =>
      simulateKernelTime(k, SIM_DEVICE_INFO, ctx.slice.sms, { mechanism: 'green' }),
    );
    const sum = (alone[0] ?? 0) + (alone[1] ?? 0);
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[20] ?? 0;
    // Less than the two launches apart (one overhead saved), more than their work alone.
    expect(median).toBeLessThan(sum);
    expect(median).toBeGreaterThan(sum - 2 * 0.003);
    expect(new Set(times).size).toBeGreaterThan(1);
  });

  it('writes what the same kernels write launched one by one', async () => {
    const ctx = open();
    const { x, y, z, launches } = chain(ctx);
    for (const l of launches) await ctx.run(l.kernel, l.source, l.args, 1000);
    const direct = ctx.download(z);
    ctx.fill(y, 0);
    ctx.fill(z, 0);
    const graph = ctx.captureGraph(launches);
    await ctx.replayGraph(graph, { count: 3, timeoutMs: 1000 });
    expect(Array.from(ctx.download(z))).toEqual(Array.from(direct));
    // A new input changes what a replay writes.
    ctx.upload(x, randomData(1024, 9));
    await ctx.replayGraph(graph, { count: 1, timeoutMs: 1000 });
    expect(Array.from(ctx.download(z))).not.toEqual(Array.from(direct));
  });

  it('replays a graph that reads what it writes once per replay', async () => {
    const ctx = open();
    const n = 1024;
    const [a, w] = [ctx.alloc(n * 4), ctx.alloc(n * 4)];
    ctx.upload(a, randomData(n, 3));
    ctx.upload(w, randomData(n, 4));
    const kernel = ctx.load(compiler.compile(first), first);
    const inPlace = { kernel, source: first, args: [a, w, a, { int: n }] };
    const graph = ctx.captureGraph([inPlace]);
    await ctx.replayGraph(graph, { count: 1, timeoutMs: 1000 });
    const once = ctx.download(a);
    await ctx.replayGraph(graph, { count: 1, timeoutMs: 1000 });
    const twice = ctx.download(a);
    ctx.upload(a, randomData(n, 3));
    await ctx.replayGraph(graph, { count: 2, timeoutMs: 1000 });
    expect(Array.from(ctx.download(a))).toEqual(Array.from(twice));
    expect(Array.from(twice)).not.toEqual(Array.from(once));
  });

  it('holds device memory while the graph lives and gives it back when destroyed', () => {
    const ctx = open();
    const { launches } = chain(ctx);
    const before = ctx.memInfo().free;
    const graph = ctx.captureGraph(launches);
    expect(ctx.memInfo().free).toBeLessThan(before);
    ctx.destroyGraph(graph);
    expect(ctx.memInfo().free).toBe(before);
    expect(thrown(() => ctx.destroyGraph(graph))).toBeInstanceOf(CudaError);
  });

  it('refuses a graph of another slice, a bad argument, and an empty capture', async () => {
    const ctx = open();
    const other = open();
    const { launches } = chain(ctx);
    const graph = ctx.captureGraph(launches);
    expect(await rejection(other.replayGraph(graph, { count: 1, timeoutMs: 1000 }))).toBeInstanceOf(
      CudaError,
    );
    const [l] = launches;
    if (!l) throw new Error('no launch');
    expect(thrown(() => ctx.captureGraph([{ ...l, args: l.args.slice(1) }]))).toBeInstanceOf(CudaError);
    expect(thrown(() => ctx.captureGraph([]))).toBeInstanceOf(CudaError);
  });

  it('a replay past its timeout poisons the process, as a hung graph does', async () => {
    const ctx = open();
    const { launches } = chain(ctx);
    const hang = makeKernel({ entry: 'hang', model: { simBehavior: 'hang' } });
    const withHang = [
      ...launches,
      { ...launches[0], kernel: ctx.load(compiler.compile(hang), hang), source: hang } as GraphLaunch,
    ];
    const graph = ctx.captureGraph(withHang);
    const err = await rejection(ctx.replayGraph(graph, { count: 1, timeoutMs: 50 }));
    expect(String((err as Error).message)).toContain('planted hang');
    expect(thrown(() => ctx.memInfo())).toBe(err);
  });
});
