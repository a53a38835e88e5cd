/** The engine on a real GPU: every failure kind, the watchdog, and slices that really overlap. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { faultKernel, fmaReference, fmaVariant, hangKernel } from '../../bench/lib/kernels.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { MeasureSession } from '../../src/measure/session.js';
import { DEFAULT_MEASURE_OPTIONS, type MeasureInput, type MeasureResult } from '../../src/measure/types.js';

const shape = { elements: 65536, iters: 256 };
const input = (kernel: KernelSource, id = kernel.entry): MeasureInput => ({
  id,
  kernel,
  reference: fmaReference(shape),
});
const options = { ...DEFAULT_MEASURE_OPTIONS, timeoutMs: 1000 };
const kindOf = (r: MeasureResult | undefined) => (r === undefined ? 'missing' : r.ok ? 'ok' : r.kind);
const messageOf = (r: MeasureResult | undefined) => (r && !r.ok ? r.message : '');

describe('measurement on the GPU (exclusive)', () => {
  let s: MeasureSession;
  before(async () => {
    s = await MeasureSession.open({
      device: 'cuda',
      mechanism: 'exclusive',
      slices: 1,
      percent: 100,
      compileWorkers: 4,
    });
  });
  after(async () => s.close());

  it('a correct kernel passes the check and gets positive timings', async () => {
    const [r] = await s.measure([input(fmaVariant(shape, 0))], options);
    assert.ok(r?.result.ok, JSON.stringify(r?.result));
    if (r?.result.ok) {
      assert.equal(r.result.timesMs.length, options.repeat);
      assert.ok(r.result.medianMs > 0);
      assert.ok(r.result.registers > 0);
    }
  });

  it("a compile error is a `compile` failure that keeps NVRTC's log", async () => {
    const k = fmaVariant(shape, 1);
    const broken = { ...k, code: k.code.replace('float s = 0.0f;', 'float s = undeclared_name;') };
    const [r] = await s.measure([input(broken)], options);
    assert.equal(kindOf(r?.result), 'compile');
    assert.match(messageOf(r?.result), /undeclared_name/);
  });

  it('too many threads per block is a `resources` failure', async () => {
    const k = fmaVariant(shape, 2);
    const [r] = await s.measure([input({ ...k, code: `${k.code}\n// 2048`, block: [2048, 1, 1] })], options);
    assert.equal(kindOf(r?.result), 'resources');
  });

  it('a wrong answer is `wrong`', async () => {
    const k = fmaVariant(shape, 3);
    const wrong = { ...k, code: k.code.replace('out[i] = s;', 'out[i] = s + 1.0f;') };
    const [r] = await s.measure([input(wrong)], options);
    assert.equal(kindOf(r?.result), 'wrong');
  });

  it('an illegal address is `fault`, an endless kernel is `timeout`, and the runner comes back', async () => {
    const results = await s.measure(
      [input(faultKernel(shape)), input(hangKernel(shape)), input(fmaVariant(shape, 4))],
      options,
    );
    assert.deepEqual(
      results.map((r) => kindOf(r.result)),
      ['fault', 'timeout', 'ok'],
    );
    assert.match(messageOf(results[0]?.result), /CUDA_ERROR_ILLEGAL_ADDRESS|CUDA_ERROR_LAUNCH_FAILED/);
    assert.ok(s.pool.stats.restarts >= 2);
  });
});
