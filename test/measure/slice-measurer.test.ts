import { afterEach, describe, expect, it } from 'vitest';
import { fmaReference, fmaVariant } from '../../bench/lib/kernels.js';
import type { GpuBackend, SliceContext } from '../../src/gpu/backend.js';
import { createSimBackend, createSimCompiler } from '../../src/gpu/sim/index.js';
import type { KernelSource } from '../../src/gpu/types.js';
import type { RunnerItem } from '../../src/measure/protocol.js';
import { SliceMeasurer } from '../../src/measure/slice-measurer.js';
import { DEFAULT_MEASURE_OPTIONS, type MeasureOptions } from '../../src/measure/types.js';

const shape = { elements: 4096, iters: 64 };
const options: MeasureOptions = { ...DEFAULT_MEASURE_OPTIONS, timeoutMs: 200 };

function item(kernel: KernelSource): RunnerItem {
  const compiler = createSimCompiler('sm_90');
  const reference = fmaReference(shape);
  return {
    id: kernel.entry,
    kernel,
    binary: compiler.compile(kernel),
    reference,
    referenceBinary: compiler.compile(reference),
    tolerance: { rtol: 1e-4, atol: 1e-5 },
  };
}

function planted(behavior: NonNullable<KernelSource['model']['simBehavior']>): KernelSource {
  const k = fmaVariant(shape, 3);
  return { ...k, entry: `${k.entry}`, model: { ...k.model, simBehavior: behavior } };
}

describe('SliceMeasurer on the simulated GPU', () => {
  let backend: GpuBackend;
  let ctx: SliceContext;
  afterEach(() => {
    ctx?.close();
    backend?.close();
  });
  const open = () => {
    backend = createSimBackend({ timeScale: 0, seed: 1 });
    ctx = backend.openSlice({ mechanism: 'exclusive', percent: 100 });
    return new SliceMeasurer(ctx);
  };

  it('times a correct kernel: every repeat kept, median reported, output checked', async () => {
    const m = open();
    const { result, fatal } = await m.measure(item(fmaVariant(shape, 0)), options);
    expect(fatal).toBe(false);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.timesMs).toHaveLength(options.repeat);
    expect(result.medianMs).toBeGreaterThan(0);
    expect(result.checked).toBe(true);
    expect(Math.min(...result.timesMs)).toBeLessThanOrEqual(result.medianMs);
  });

  it('reports a wrong answer as `wrong`, and an unwritten output too (the poison)', async () => {
    const m = open();
    for (const behavior of ['wrong', 'nowrite'] as const) {
      const { result, fatal } = await m.measure(item(planted(behavior)), options);
      expect(fatal).toBe(false);
      expect(result.ok ? 'ok' : result.kind).toBe('wrong');
    }
  });

  it('reports an illegal address as a fatal `fault`', async () => {
    const m = open();
    const { result, fatal } = await m.measure(item(planted('fault')), options);
    expect(result.ok ? 'ok' : result.kind).toBe('fault');
    expect(result.ok ? '' : result.message).toMatch(/CUDA_ERROR_ILLEGAL_ADDRESS/);
    expect(fatal).toBe(true);
  });

  it('reports a kernel that never ends as a fatal `timeout`', async () => {
    const m = open();
    const { result, fatal } = await m.measure(item(planted('hang')), options);
    expect(result.ok ? 'ok' : result.kind).toBe('timeout');
    expect(fatal).toBe(true);
  });

  it('reports a launch shape that cannot fit as `resources`, and goes on', async () => {
    const m = open();
    const k = fmaVariant(shape, 0);
    const tooBig: KernelSource = { ...k, block: [2048, 1, 1] };
    const { result, fatal } = await m.measure(item(tooBig), options);
    expect(result.ok ? 'ok' : result.kind).toBe('resources');
    expect(fatal).toBe(false);
    const next = await m.measure(item(fmaVariant(shape, 1)), options);
    expect(next.result.ok).toBe(true);
  });
});
