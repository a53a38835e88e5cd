/**
 * A shared-mode batch goes on without its stragglers: once most of it is compiled, a kernel that
 * is still compiling after as long again is left out (the baseline waits for it, as AutoTVM does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MeasureSession } from '../../src/measure/session.js';
import type { MeasureInput } from '../../src/measure/types.js';
import { RESNET18_WORKLOADS, toleranceFor } from '../../src/ops/index.js';
import { prepareReadyFirst } from '../../src/sharing/ready-first.js';
import { getTemplate, referenceKernel } from '../../src/templates/index.js';
import { Rng } from '../../src/util/rng.js';

describe('prepareReadyFirst', () => {
  let session: MeasureSession | undefined;
  afterEach(async () => {
    // Closing kills the worker still stuck on the planted compile.
    await session?.close();
    session = undefined;
  });

  it('hands over the compiled kernels without waiting for one that never finishes', async () => {
    session = await MeasureSession.open({ device: 'sim', mechanism: 'green', slices: 1, percent: 25 });
    const { workload } = RESNET18_WORKLOADS.find((m) => m.name === 'layer2.1.conv1')!;
    const template = getTemplate('conv2d_igemm');
    const space = template.space(workload, session.device);
    const rng = new Rng(3);
    const inputs: MeasureInput[] = [];
    while (inputs.length < 8) {
      const config = space.sample(rng);
      const id = space.key(config);
      if (inputs.some((i) => i.id === id)) continue;
      const kernel = template.generate(workload, config, session.device);
      inputs.push({ id, kernel, reference: referenceKernel(workload), tolerance: toleranceFor(workload) });
    }
    const stuck = inputs[5]!;
    stuck.kernel = { ...stuck.kernel, model: { ...stuck.kernel.model, simBehavior: 'compile-hang' } };
    const started = Date.now();
    const ready = await prepareReadyFirst(session, inputs, false);
    // The default build timeout is 10 s; the batch went on long before it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ready.map((p) => (p.ok ? p.item.id : p.id))).toEqual(
      inputs.filter((i) => i !== stuck).map((i) => i.id),
    );
    expect(ready.every((p) => p.ok)).toBe(true);
  });
});
