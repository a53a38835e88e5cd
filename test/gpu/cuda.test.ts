/**
 * The CUDA backend on a real GPU (`npm run test:gpu` on the GPU machine: compiled to dist-bench
 * and run with node:test). Without a GPU every test fails, saying why: this file is meant to run
 * only where there is one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Compiler, DeviceBuffer, GpuBackend, LaunchArg, SliceContext } from '../../src/gpu/backend.js';
import { createCudaBackend } from '../../src/gpu/cuda/backend.js';
import { createNvrtcCompiler } from '../../src/gpu/cuda/nvrtc.js';
import { GRAPH_GROUP_MIN } from '../../src/gpu/cuda/slice.js';
import { probeDevices, resolveBackend } from '../../src/gpu/device.js';
import { CompileError, CudaError, ResourceError } from '../../src/gpu/errors.js';
import { findMpsControl, mpsEnv, startMpsDaemon, stopMpsDaemon } from '../../src/gpu/mps.js';
import { isSlicetuneError } from '../../src/util/errors.js';
import { kernel } from './cuda-kernels.js';
import type { ChildOutcome } from './fixtures/cuda-child.js';

// The compiled fixture next to the compiled test (the tests run from dist-bench/).
const CHILD = fileURLToPath(new URL('./fixtures/cuda-child.js', import.meta.url));

/** Runs the child fixture in a fresh process (its context may be poisoned or stay busy). */
function runChild(args: string[], env: Record<string, string> = {}): ChildOutcome {
  const child = spawnSync(process.execPath, [CHILD, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{'))
    throw new Error(`child ${args.join(' ')} printed no outcome:\n${child.stdout}${child.stderr}`);
  return JSON.parse(line) as ChildOutcome;
}

let backend: GpuBackend;
let compiler: Compiler;

before(() => {
  const resolved = resolveBackend('auto');
  if (resolved.kind !== 'cuda') throw new Error(`these tests need a CUDA GPU: ${resolved.reason}`);
  backend = createCudaBackend();
  compiler = createNvrtcCompiler(backend.info.arch);
});
after(() => backend?.close());

describe('device query', () => {
  it('reports a plausible device', () => {
    const d = backend.info;
    assert.equal(d.backend, 'cuda');
    assert.equal(d.simulated, false);
    assert.equal(d.arch, `sm_${d.computeCapability.major}${d.computeCapability.minor}`);
    assert.equal(d.warpSize, 32);
    assert.ok(d.sms > 0, String(d.sms));
    assert.ok(
      d.sharedMemPerBlockOptin >= d.sharedMemPerBlock,
      `${d.sharedMemPerBlockOptin} >= ${d.sharedMemPerBlock}`,
    );
    assert.ok(
      d.sharedMemPerSm >= d.sharedMemPerBlockOptin,
      `${d.sharedMemPerSm} >= ${d.sharedMemPerBlockOptin}`,
    );
    assert.ok(d.regsPerSm >= d.regsPerBlock, `${d.regsPerSm} >= ${d.regsPerBlock}`);
    assert.ok(d.l2Bytes > 1 << 20, `${d.l2Bytes} > ${1 << 20}`);
    assert.ok(d.memoryBytes > 1e9, `${d.memoryBytes} > ${1e9}`);
    assert.ok(d.clockKHz > 0, String(d.clockKHz));
    assert.ok(d.memBusWidthBits > 0, String(d.memBusWidthBits));
    assert.match(d.driverVersion, /^\d+\.\d$/);
    assert.match(d.cudaVersion, /^\d+\.\d+$/);
    if (d.name.includes('H100')) {
      assert.equal(d.sms, 132);
      assert.equal(d.arch, 'sm_90');
      assert.equal(d.sharedMemPerBlockOptin, 227 * 1024);
      assert.equal(d.l2Bytes, 50 * 1024 * 1024);
    }
  });

  it('lists the device and which slice mechanisms work', async () => {
    const probe = await probeDevices('cuda');
    assert.equal(probe.backend, 'cuda');
    assert.equal(probe.devices[0]?.name, backend.info.name);
    assert.equal(probe.mechanisms.green.supported, Number(backend.info.driverVersion) >= 12.4);
    assert.equal(probe.mechanisms.mps.supported, findMpsControl() !== undefined);
  });
});

describe('NVRTC', () => {
  it('compiles to a CUBIN (an ELF file) whose hash depends only on its bytes', () => {
    const first = compiler.compile(kernel('vadd', 1024));
    const again = compiler.compile(kernel('vadd', 4096));
    assert.deepEqual([...first.bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
    assert.equal(first.arch, backend.info.arch);
    assert.equal(again.hash, first.hash);
    assert.notEqual(compiler.compile(kernel('busy', 1024)).hash, first.hash);
  });

  it('keeps the log of a failed compile', () => {
    const broken = kernel('vadd', 1024, {
      code: kernel('vadd', 1).code.replace('a[i] + b[i]', 'undeclared_name'),
    });
    const error = catchError(() => compiler.compile(broken));
    assert.ok(error instanceof CompileError, String(error));
    assert.match(error.message, /NVRTC_ERROR_COMPILATION/);
    assert.match(error.log, /undeclared_name/);
  });

  it('rejects an option NVRTC does not know, naming the error', () => {
    const error = catchError(() => compiler.compile(kernel('vadd', 8, { compileOptions: ['-O3'] })));
    assert.ok(error instanceof CompileError, String(error));
    assert.match(error.message, /NVRTC_ERROR_INVALID_OPTION/);
  });
});

describe('an exclusive slice', () => {
  const n = 1 << 20;
  const vadd = kernel('vadd', n);
  let slice: SliceContext;
  before(() => {
    slice = backend.openSlice({ mechanism: 'exclusive', percent: 100 });
  });
  after(() => slice.close());

  it('turns a failing CUresult into a named error', () => {
    const garbage = { ...compiler.compile(vadd), bytes: new Uint8Array(256).fill(7) };
    const bad = catchError(() => slice.load(garbage, vadd));
    assert.ok(bad instanceof CudaError, String(bad));
    assert.equal(bad.cudaName, 'CUDA_ERROR_INVALID_IMAGE');
    assert.equal(bad.sticky, false);
    const missing = catchError(() =>
      slice.load(compiler.compile(vadd), { ...vadd, entry: 'no_such_kernel' }),
    );
    assert.ok(missing instanceof CudaError, String(missing));
    assert.equal(missing.cudaName, 'CUDA_ERROR_NOT_FOUND');
  });

  it('runs a vector add correctly, over a poisoned output', async () => {
    const loaded = slice.load(compiler.compile(vadd), vadd);
    const a = Float32Array.from({ length: n }, (_, i) => i);
    const b = Float32Array.from({ length: n }, (_, i) => 0.5 - 2 * i);
    const [A, B, C] = alloc3(slice, 4 * n);
    slice.upload(A, a);
    slice.upload(B, b);
    slice.fill(C, 0xff);
    assert.equal(Number.isNaN(slice.download(C)[n - 1]), true);
    await slice.run(loaded, vadd, [A, B, C, { int: n }], 10_000);
    const c = slice.download(C);
    assert.equal(
      c.every((x, i) => x === (a[i] ?? 0) + (b[i] ?? 0)),
      true,
    );
    for (const buffer of [A, B, C]) slice.free(buffer);
    slice.unload(loaded);
  });

  it('times launches with events, with and without an L2 flush', async () => {
    const loaded = slice.load(compiler.compile(vadd), vadd);
    const [A, B, C] = alloc3(slice, 4 * n);
    const args: LaunchArg[] = [A, B, C, { int: n }];
    const warm = await slice.time(loaded, vadd, args, { count: 20, flushL2: false, timeoutMs: 10_000 });
    const flushed = await slice.time(loaded, vadd, args, { count: 20, flushL2: true, timeoutMs: 10_000 });
    assert.ok(warm > 0, String(warm));
    assert.ok(flushed > 0, String(flushed));
    assert.ok(warm < 10, `a 4 MiB vector add took ${warm} ms`);
    for (const buffer of [A, B, C]) slice.free(buffer);
    slice.unload(loaded);
  });

  it('names the resource a launch shape exceeds', async () => {
    const binary = compiler.compile(vadd);
    assert.match(
      resourceMessage(() => slice.load(binary, { ...vadd, block: [2048, 1, 1] })),
      /^threads/,
    );
    const tooMuchShared = { ...vadd, dynamicSharedBytes: backend.info.sharedMemPerBlockOptin + 1024 };
    assert.match(
      resourceMessage(() => slice.load(binary, tooMuchShared)),
      /^shared memory/,
    );
    const regs = kernel('regs', 1024, { block: [1024, 1, 1], grid: [1, 1, 1] });
    assert.match(
      resourceMessage(() => slice.load(compiler.compile(regs), regs)),
      /^registers/,
    );
    const loaded = slice.load(binary, vadd);
    const A = slice.alloc(64);
    const hugeGrid = { ...vadd, grid: [1, 70_000, 1] as const };
    const launch = await slice.run(loaded, hugeGrid, [A, A, A, { int: 1 }], 10_000).catch((e: unknown) => e);
    assert.ok(launch instanceof ResourceError, String(launch));
    slice.free(A);
    slice.unload(loaded);
  });

  it('opts in to more than 48 KiB of dynamic shared memory', async () => {
    const big = { ...vadd, dynamicSharedBytes: 100 * 1024 };
    const loaded = slice.load(compiler.compile(big), big);
    const A = slice.alloc(4 * n);
    await slice.run(loaded, big, [A, A, A, { int: n }], 10_000);
    slice.free(A);
    slice.unload(loaded);
  });

  it('does not leak device memory over 200 load/run/unload/alloc/free cycles', async () => {
    const binary = compiler.compile(vadd);
    let afterTen = 0;
    for (let i = 1; i <= 200; i++) {
      const loaded = slice.load(binary, vadd);
      const A = slice.alloc(4 * n);
      await slice.time(loaded, vadd, [A, A, A, { int: n }], {
        count: 2,
        flushL2: i % 2 === 0,
        timeoutMs: 10_000,
      });
      slice.free(A);
      slice.unload(loaded);
      if (i === 10) afterTen = slice.memInfo().free;
    }
    const drift = Math.abs(slice.memInfo().free - afterTen);
    assert.ok(drift <= 2 << 20, `free device memory moved by ${drift} bytes between cycle 10 and 200`);
  });
});

describe('faults and hangs (each in a child process, whose context they ruin)', () => {
  it('an illegal address becomes a sticky CUDA_ERROR_ILLEGAL_ADDRESS', () => {
    const outcome = runChild(['fault']);
    assert.equal(outcome.error?.cudaName, 'CUDA_ERROR_ILLEGAL_ADDRESS');
    assert.equal(outcome.error?.sticky, true);
    assert.equal(outcome.after?.cudaName, 'CUDA_ERROR_ILLEGAL_ADDRESS');
  });

  it('an endless kernel becomes a KernelTimeoutError', () => {
    assert.equal(runChild(['hang']).error?.name, 'KernelTimeoutError');
  });
});

describe('green slices', () => {
  const iters = 200_000;

  it('take whole granules of at most their share, never overlap, and give SMs back on close', () => {
    const quarters: SliceContext[] = [];
    try {
      for (let i = 0; i < 4; i++) quarters.push(backend.openSlice({ mechanism: 'green', percent: 25 }));
      for (const q of quarters) {
        assert.ok(
          q.slice.sms > 0 && q.slice.sms <= Math.ceil(backend.info.sms / 4),
          `granted ${q.slice.sms}`,
        );
        // Measured on the H100 with CUDA 13.0: 2-SM granules, 33 SMs rounded down to 32.
        if (backend.info.name.includes('H100')) assert.equal(q.slice.sms, 32);
      }
      const fifth = catchError(() => backend.openSlice({ mechanism: 'green', percent: 25 }));
      assert.ok(isSlicetuneError(fifth, 'SLICE_UNAVAILABLE'), String(fifth));
    } finally {
      for (const q of quarters) q.close();
    }
    const whole = backend.openSlice({ mechanism: 'green', percent: 100 });
    assert.equal(whole.slice.sms, backend.info.sms);
    whole.close();
  });

  it('four 25% slices of one process run at the same time', async () => {
    const k = kernel('busy', iters, { grid: [backend.info.sms * 8, 1, 1] });
    const binary = compiler.compile(k);
    const slices = [1, 2, 3, 4].map(() => backend.openSlice({ mechanism: 'green', percent: 25 }));
    try {
      const runs = slices.map((s) => {
        const loaded = s.load(binary, k);
        const A = s.alloc(4 * iters);
        s.fill(A, 0);
        return () =>
          s.time(loaded, k, [A, A, A, { int: iters }], { count: 5, flushL2: false, timeoutMs: 120_000 });
      });
      const alone = await wallMs(() => (runs[0] as () => Promise<number>)());
      const together = await wallMs(() => Promise.all(runs.map((go) => go())));
      // Time-sliced, four would take about four times as long as one; overlapped, about as long.
      assert.ok(together < 1.5 * alone, `one slice alone took ${alone} ms, four together ${together} ms`);
    } finally {
      for (const s of slices) s.close();
    }
  });

  it('four 25% slices time thousands of short launches side by side (graph replays)', async () => {
    // min_repeat_ms raises a timed group to thousands of launches of a short kernel. Enqueued one
    // by one they would block the process's thread on a full launch queue, slice after slice.
    const k = kernel('busy', 5_000, { grid: [32, 1, 1] });
    const binary = compiler.compile(k);
    const slices = [1, 2, 3, 4].map(() => backend.openSlice({ mechanism: 'green', percent: 25 }));
    try {
      const runs = slices.map((s) => {
        const loaded = s.load(binary, k);
        const A = s.alloc(4 * 5_000);
        s.fill(A, 0);
        return (count: number) =>
          s.time(loaded, k, [A, A, A, { int: 5_000 }], { count, flushL2: false, timeoutMs: 120_000 });
      });
      const first = runs[0] as (count: number) => Promise<number>;
      const few = await first(GRAPH_GROUP_MIN - 1);
      const many = await first(8_000);
      // The graph's launches run like stream launches (a few µs less launch gap at most).
      assert.ok(
        many > 0.7 * few && many < 1.3 * few,
        `per launch: ${few} ms in a stream, ${many} ms as graphs`,
      );
      const alone = await wallMs(() => first(8_000));
      const together = await wallMs(() => Promise.all(runs.map((go) => go(8_000))));
      assert.ok(alone > 50, `8000 launches took only ${alone} ms: the kernel is too short for this test`);
      assert.ok(together < 1.6 * alone, `one slice alone took ${alone} ms, four together ${together} ms`);
    } finally {
      for (const s of slices) s.close();
    }
  });

  it('do not leak contexts or memory over 100 open/load/close cycles', () => {
    const k = kernel('vadd', 1024);
    const binary = compiler.compile(k);
    const probe = backend.openSlice({ mechanism: 'exclusive', percent: 100 });
    let afterTen = 0;
    for (let i = 1; i <= 100; i++) {
      const s = backend.openSlice({ mechanism: 'green', percent: 50 });
      s.load(binary, k);
      s.alloc(1 << 20);
      s.alloc(1 << 20);
      s.close();
      if (i === 10) afterTen = probe.memInfo().free;
    }
    const drift = Math.abs(probe.memInfo().free - afterTen);
    assert.ok(drift <= 2 << 20, `free device memory moved by ${drift} bytes between cycle 10 and 100`);
    probe.close();
  });
});

describe('MPS', () => {
  it('starts its own daemon, runs a client on its share, and stops the daemon', async () => {
    if (!findMpsControl()) throw new Error('nvidia-cuda-mps-control is not on PATH on this GPU machine');
    const daemon = await startMpsDaemon();
    try {
      const outcome = runChild(['mps', '25'], mpsEnv(25, daemon, backend.info.sms));
      assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
      const slice = outcome.slice as { sms: number; totalSms: number };
      assert.equal(outcome.vaddCorrect, true);
      assert.equal(slice.totalSms, backend.info.sms);
      assert.ok(slice.sms < backend.info.sms, `an MPS client at 25% sees ${slice.sms} SMs`);
    } finally {
      await stopMpsDaemon(daemon);
    }
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

function resourceMessage(run: () => unknown): string {
  const error = catchError(run);
  if (!(error instanceof ResourceError)) throw error;
  return error.message;
}

function alloc3(slice: SliceContext, bytes: number): [DeviceBuffer, DeviceBuffer, DeviceBuffer] {
  return [slice.alloc(bytes), slice.alloc(bytes), slice.alloc(bytes)];
}

async function wallMs(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}
