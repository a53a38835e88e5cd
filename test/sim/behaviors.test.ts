import { afterEach, describe, expect, it } from 'vitest';
import type { GpuBackend, SliceContext } from '../../src/gpu/backend.js';
import { CudaError, KernelTimeoutError, ResourceError } from '../../src/gpu/errors.js';
import { createSimBackend, createSimCompiler } from '../../src/gpu/sim/index.js';
import type { KernelModel } from '../../src/gpu/types.js';
import { computeBound, makeKernel } from './fixtures.js';
import { prepare, rejection, runOnce, thrown } from './harness.js';

const backends: GpuBackend[] = [];
function slice(timeScale = 0): { backend: GpuBackend; ctx: SliceContext } {
  const backend = createSimBackend({ timeScale, seed: 11 });
  backends.push(backend);
  return { backend, ctx: backend.openSlice({ mechanism: 'mps', percent: 50 }) };
}
afterEach(() => {
  for (const b of backends.splice(0)) b.close();
});

const planted = (simBehavior: KernelModel['simBehavior']) =>
  makeKernel({ entry: `planted_${simBehavior}`, model: { simBehavior } });

describe('planted misbehaviour', () => {
  it('wrong: writes values that differ from the reference', async () => {
    const { ctx } = slice();
    const reference = makeKernel();
    const want = await runOnce(ctx, reference, prepare(ctx, reference));
    const got = await runOnce(ctx, planted('wrong'), prepare(ctx, planted('wrong')));
    const differing = got.filter((v, i) => Math.abs(v - (want[i] as number)) > 0.1).length;
    expect(differing).toBeGreaterThan(0);
    expect(got.some(Number.isNaN)).toBe(false);
  });

  it('nowrite: leaves the poisoned output as it was', async () => {
    const { ctx } = slice();
    const got = await runOnce(ctx, planted('nowrite'), prepare(ctx, planted('nowrite')));
    expect(got.every(Number.isNaN)).toBe(true);
  });

  it('fault: a sticky illegal address that poisons every slice of the process', async () => {
    const { backend, ctx } = slice();
    const other = backend.openSlice({ mechanism: 'green', percent: 25 });
    const p = prepare(ctx, planted('fault'));
    const error = await rejection(ctx.run(p.loaded, planted('fault'), p.args, 1_000));
    expect(error).toBeInstanceOf(CudaError);
    expect(error).toMatchObject({ cudaCode: 700, cudaName: 'CUDA_ERROR_ILLEGAL_ADDRESS', sticky: true });
    expect(thrown(() => ctx.alloc(16))).toBe(error);
    expect(thrown(() => ctx.memInfo())).toBe(error);
    expect(thrown(() => other.alloc(16))).toBe(error);
    expect(thrown(() => backend.openSlice({ mechanism: 'mps', percent: 10 }))).toBe(error);
    expect(await rejection(ctx.run(p.loaded, makeKernel(), p.args, 1_000))).toBe(error);
    ctx.close();
  });

  it('an output buffer smaller than its argument faults like an out-of-bounds write', async () => {
    const { ctx } = slice();
    const kernel = makeKernel();
    const p = prepare(ctx, kernel);
    const small = ctx.alloc(16);
    const args = p.args.map((a) => (a === p.output ? small : a));
    expect(await rejection(ctx.run(p.loaded, kernel, args, 1_000))).toMatchObject({ cudaCode: 700 });
  });

  it('hang: times out after timeoutMs of (scaled) time and leaves the context unusable', async () => {
    const { ctx } = slice(1);
    const p = prepare(ctx, planted('hang'));
    const started = performance.now();
    const error = await rejection(ctx.run(p.loaded, planted('hang'), p.args, 50));
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(error).toBeInstanceOf(KernelTimeoutError);
    expect((error as Error).message).toMatch(/planted_hang/);
    expect(thrown(() => ctx.download(p.output))).toBe(error);
  });

  it('a kernel slower than the timeout times out too, in run and in time', async () => {
    const kernel = computeBound(2 ** 20);
    const { ctx } = slice();
    const p = prepare(ctx, kernel);
    expect(await rejection(ctx.run(p.loaded, kernel, p.args, 1))).toBeInstanceOf(KernelTimeoutError);
    const again = slice().ctx;
    const q = prepare(again, kernel);
    const options = { count: 1000, flushL2: false, timeoutMs: 1_000 };
    expect(await rejection(again.time(q.loaded, kernel, q.args, options))).toBeInstanceOf(KernelTimeoutError);
  });
});

describe('loading', () => {
  it('throws a ResourceError that names the resource when the launch cannot fit', () => {
    const { ctx } = slice();
    const compile = createSimCompiler('sm_90');
    const load = (k: ReturnType<typeof makeKernel>) => thrown(() => ctx.load(compile.compile(k), k));
    const threads = load(makeKernel({ threads: 2048 }));
    expect(threads).toBeInstanceOf(ResourceError);
    expect((threads as Error).message).toMatch(/threads/);
    expect((load(makeKernel({ threads: 1024, model: { regsPerThread: 96 } })) as Error).message).toMatch(
      /registers/,
    );
    expect((load(makeKernel({ dynamicSharedBytes: 230 * 1024 })) as Error).message).toMatch(/shared memory/);
    expect(ctx.memInfo().free).toBeGreaterThan(0);
  });

  it('reports the registers and the thread limit they allow', () => {
    const { ctx } = slice();
    const kernel = makeKernel({
      model: { regsPerThread: 128, sharedBytesPerBlock: 4096 },
      dynamicSharedBytes: 1024,
    });
    const loaded = ctx.load(createSimCompiler('sm_90').compile(kernel), kernel);
    expect(loaded).toMatchObject({
      entry: kernel.entry,
      numRegs: 128,
      maxThreadsPerBlock: 512,
      staticSharedBytes: 3072,
    });
  });

  it('refuses a binary for another architecture or another entry', () => {
    const { ctx } = slice();
    const kernel = makeKernel();
    const foreign = createSimCompiler('sm_80').compile(kernel);
    expect(thrown(() => ctx.load(foreign, kernel))).toMatchObject({
      cudaName: 'CUDA_ERROR_NO_BINARY_FOR_GPU',
    });
    const binary = createSimCompiler('sm_90').compile(kernel);
    const other = makeKernel({ entry: 'another' });
    expect(thrown(() => ctx.load(binary, other))).toMatchObject({ cudaName: 'CUDA_ERROR_NOT_FOUND' });
    const loaded = ctx.load(binary, kernel);
    ctx.unload(loaded);
    expect(thrown(() => ctx.unload(loaded))).toMatchObject({ cudaName: 'CUDA_ERROR_INVALID_HANDLE' });
  });
});
