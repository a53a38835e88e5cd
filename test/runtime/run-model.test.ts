import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimBackend } from '../../src/gpu/sim/index.js';
import { exportOnnx, extractTasks, ZOO } from '../../src/graph/index.js';
import { RecordStore } from '../../src/records/store.js';
import { buildPlan } from '../../src/runtime/build.js';
import { ModelExecutor, planExecution, runModel, runModelInChild } from '../../src/runtime/index.js';
import type { RunModelOptions } from '../../src/runtime/types.js';
import { getTemplate } from '../../src/templates/index.js';
import { smallCnn } from '../graph/helpers.js';
import { recordFor } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'slicetune-runtime-'));
const sim: Pick<RunModelOptions, 'device' | 'backendOptions' | 'compileWorkers' | 'warmup'> = {
  device: 'sim',
  backendOptions: { timeScale: 0, seed: 3 },
  compileWorkers: 1,
  warmup: 2,
};
const stores: RecordStore[] = [];
afterAll(() => {
  for (const s of stores) s.close();
});

/** resnet18's tasks: the first five tuned at 25% and 100%, the next three at 100% only. */
function resnetStore(): { path: string; tuned25: string[]; tuned100: string[] } {
  const path = join(dir, `resnet18-${stores.length}.db`);
  const store = RecordStore.open(path);
  stores.push(store);
  const { tasks } = extractTasks(ZOO.resnet18({ inputSize: 64 }));
  const at25 = tasks.slice(0, 5);
  const at100 = tasks.slice(5, 8);
  store.add([
    ...at25.flatMap((task, i) => [
      recordFor({ task, percent: 25, medianMs: 0.05, seed: 10 + i }),
      recordFor({ task, percent: 25, medianMs: 0.09, seed: 20 + i }),
      recordFor({ task, percent: 100, medianMs: 0.02, seed: 30 + i }),
    ]),
    ...at100.map((task, i) => recordFor({ task, percent: 100, medianMs: 0.03, seed: 40 + i })),
  ]);
  return { path, tuned25: at25.map((t) => t.workloadKey), tuned100: at100.map((t) => t.workloadKey) };
}

describe('runModel on the simulated GPU', () => {
  it('runs resnet18 untuned with an empty store and says so', async () => {
    const path = join(dir, 'empty.db');
    stores.push(RecordStore.open(path));
    const r = await runModel({
      ...sim,
      model: 'resnet18',
      db: path,
      percent: 25,
      mechanism: 'green',
      runs: 30,
    });
    expect(r.kernels.tuned).toBe(0);
    expect(r.kernels.untuned).toBe(r.kernels.tunableNodes);
    expect(r.kernels.tunableNodes).toBe(extractTasks(ZOO.resnet18()).tasks.reduce((a, t) => a + t.weight, 0));
    expect(
      r.notes.some((n) =>
        n.includes(`${r.kernels.untuned} of ${r.kernels.tunableNodes} tunable nodes ran untuned`),
      ),
    ).toBe(true);
    expect(r.kernels.choices.every((c) => c.note.includes('no successful record'))).toBe(true);
    expect(r.correctness).toEqual({
      checked: false,
      reason: 'not checked: the simulated GPU computes no values',
    });
    expect(r.simulatedLabel).toMatch(/SIMULATED/);
    expect(r.slice).toMatchObject({ mechanism: 'green', sms: 32, simulated: true });
    const { latency } = r;
    expect(latency.runs).toBe(30);
    expect(latency.minMs).toBeLessThanOrEqual(latency.medianMs);
    expect(latency.medianMs).toBeLessThanOrEqual(latency.p99Ms);
    expect(latency.p99Ms).toBeLessThanOrEqual(latency.maxMs);
    expect(latency.maxMs).toBeGreaterThan(latency.minMs);
    expect(r.memory.usedAfterRunsBytes).toBe(r.memory.usedAfterSetupBytes);
  });

  it('uses the tuned configs of a store, and reports the share each came from', async () => {
    const { path, tuned25, tuned100 } = resnetStore();
    const r = await runModel({
      ...sim,
      model: 'resnet18',
      zoo: { inputSize: 64 },
      db: path,
      percent: 25,
      mechanism: 'green',
      runs: 20,
    });
    const byKey = (keys: string[]) => r.kernels.choices.filter((c) => keys.includes(c.workloadKey));
    const exact = byKey(tuned25);
    const nearest = byKey(tuned100);
    expect(exact.length).toBeGreaterThanOrEqual(tuned25.length);
    // The fastest record at 25% (0.05 ms), not the faster one tuned at 100%.
    expect(exact.every((c) => c.tuned && c.exact && c.tunedPercent === 25 && c.recordMs === 0.05)).toBe(true);
    expect(nearest.every((c) => c.tuned && !c.exact && c.tunedPercent === 100)).toBe(true);
    expect(r.kernels.byTunedShare).toEqual({ '25': exact.length, '100': nearest.length });
    expect(r.kernels.nearestShare).toBe(nearest.length);
    expect(r.kernels.tuned + r.kernels.untuned).toBe(r.kernels.tunableNodes);
    expect(r.kernels.untuned).toBe(r.kernels.tunableNodes - exact.length - nearest.length);
    expect(
      r.notes.some(
        (n) =>
          n.includes('tuned at 100%, the nearest tuned share to 25%') &&
          n.includes('tie goes to the smaller'),
      ),
    ).toBe(true);
    const store = stores.at(-1) as RecordStore;
    const best = store.best(tuned25[0] ?? '', { percent: 25, deviceName: r.device.name });
    expect(exact[0]?.configKey).toBe(best?.record.configKey);
  });

  it('skips a faster TF32 record unless tensor cores are allowed', async () => {
    const path = join(dir, 'tf32.db');
    const store = RecordStore.open(path);
    stores.push(store);
    const graph = ZOO.resnet18({ inputSize: 64 });
    const conv = extractTasks(graph).tasks.find((t) => t.template === 'conv2d_igemm');
    if (!conv) throw new Error('resnet18 has an igemm task');
    const fp32 = recordFor({ task: conv, percent: 100, medianMs: 0.2, seed: 1 });
    store.add([
      fp32,
      recordFor({ task: conv, percent: 100, medianMs: 0.1, seed: 2, template: 'conv2d_igemm_tf32' }),
    ]);
    const { graph: optimized } = extractTasks(graph);
    const device = createSimBackend().info;
    const pick = (allowTensorCores: boolean) =>
      planExecution(optimized, device, {
        store,
        percent: 100,
        deviceName: device.name,
        allowTensorCores,
      }).plan.choices.find((c) => c.workloadKey === conv.workloadKey);
    expect(pick(false)).toMatchObject({ template: 'conv2d_igemm', precision: 'f32', recordMs: 0.2 });
    expect(pick(false)?.note).toContain('TF32 records skipped');
    expect(pick(true)).toMatchObject({ template: 'conv2d_igemm_tf32', precision: 'tf32', recordMs: 0.1 });
    // The node launches the kernel the record's config generates, not the default config's.
    const { plan } = planExecution(optimized, device, { store, percent: 100, deviceName: device.name });
    const launch = plan.launches.find((l) => l.node === pick(false)?.node);
    const tuned = getTemplate('conv2d_igemm').generate(conv.workload, fp32.config, device);
    const untuned = getTemplate('conv2d_igemm').generate(
      conv.workload,
      getTemplate('conv2d_igemm').defaultConfig(conv.workload, device),
      device,
    );
    expect(launch?.kind).toBe('tuned');
    expect(launch?.source.entry).toBe(tuned.entry);
    expect(tuned.entry).not.toBe(untuned.entry);
  });

  it('runs mobilenet_v2 at a reduced input size, bert_encoder and an ONNX file end to end', async () => {
    const onnx = join(dir, 'small.onnx');
    writeFileSync(onnx, exportOnnx(smallCnn()));
    for (const [model, zoo] of [
      ['mobilenet_v2', { inputSize: 96 }],
      ['bert_encoder', { seqLen: 16 }],
      [onnx, {}],
    ] as const) {
      const r = await runModel({ ...sim, model, zoo, percent: 50, mechanism: 'mps', runs: 10 });
      expect(r.kernels.launches).toBeGreaterThan(r.kernels.tunableNodes - 1);
      expect(r.latency.medianMs).toBeGreaterThan(0);
      expect(r.kernels.untuned).toBe(r.kernels.tunableNodes);
      expect(r.notes.some((n) => n.includes('ran untuned'))).toBe(true);
    }
  });

  it('allocates its buffers once: device memory does not grow across runs, and all of it comes back', async () => {
    const backend = createSimBackend({ timeScale: 0 });
    const ctx = backend.openSlice({ mechanism: 'green', percent: 50 });
    const initial = ctx.memInfo().free;
    const { graph } = extractTasks(ZOO.resnet18({ inputSize: 32 }));
    const planned = planExecution(graph, ctx.device, { percent: 50, deviceName: ctx.device.name });
    const built = await buildPlan(planned, 'sim', ctx.device.arch, 1);
    const weights = new Map(graph.initializers.map((i) => [i.name, i.data as Float32Array]));
    const executor = ModelExecutor.open(ctx, planned.plan, built.binaries, weights);
    const afterSetup = ctx.memInfo().free;
    const expectedBuffers = [...planned.plan.storage.values()].reduce((a, s) => a + s.elements * 4, 0);
    expect(executor.bufferBytes).toBe(expectedBuffers);
    expect(initial - afterSetup).toBeGreaterThanOrEqual(expectedBuffers);
    const input = { [planned.plan.inputs[0]?.name ?? '']: new Float32Array(3 * 32 * 32) };
    for (let i = 0; i < 3; i++) {
      await executor.run(input);
      await executor.time(5, 1);
      expect(ctx.memInfo().free).toBe(afterSetup);
    }
    executor.close();
    expect(ctx.memInfo().free).toBe(initial);
    backend.close();
  });

  it('runs in a child process and returns the same kind of report (the MPS client path)', async () => {
    const r = await runModelInChild(
      { ...sim, model: 'resnet18', zoo: { inputSize: 32 }, percent: 25, mechanism: 'mps', runs: 5 },
      { SLICETUNE_TEST_CHILD: '1' },
    );
    expect(r.model).toBe('resnet18');
    expect(r.slice).toMatchObject({ mechanism: 'mps', sms: 32 });
    expect(r.latency.runs).toBe(5);
  });

  it('reports a bad option in the child as the same error', async () => {
    const err = await runModelInChild(
      { ...sim, model: 'nosuchnet', percent: 25, mechanism: 'mps', runs: 5 },
      {},
    ).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('NOT_FOUND');
  });
});
