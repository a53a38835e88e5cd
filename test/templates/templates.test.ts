import { describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { kernelArgs, type Workload, workloadKey } from '../../src/ops/index.js';
import type { Config } from '../../src/space/index.js';
import { TEMPLATES, type Template, templatesFor } from '../../src/templates/index.js';
import { Rng } from '../../src/util/rng.js';
import { coverageProblem } from './coverage.js';
import { ALL_SHAPES, bracketsBalance, definesEntry, ODD_SHAPES } from './shapes.js';

const device = SIM_DEVICE_INFO;
const SAMPLES = 30;

function checkSource(t: Template, w: Workload, config: Config, k: KernelSource): void {
  const where = `${t.name} on ${workloadKey(w)} with ${JSON.stringify(config)}`;
  expect(definesEntry(k.code, k.entry), where).toBe(true);
  expect(bracketsBalance(k.code), where).toBe(true);
  expect(k.args, where).toEqual(kernelArgs(w));
  expect(k.computes).toBe(workloadKey(w));
  const threads = k.block[0] * k.block[1] * k.block[2];
  expect(threads).toBeGreaterThanOrEqual(1);
  expect(threads).toBeLessThanOrEqual(device.maxThreadsPerBlock);
  expect(k.code).toContain(`__launch_bounds__(${threads}, 1)`);
  expect(k.dynamicSharedBytes).toBeLessThanOrEqual(device.sharedMemPerBlockOptin);
  expect(k.grid.every((g) => Number.isInteger(g) && g >= 1)).toBe(true);
  expect(k.grid[1]).toBeLessThanOrEqual(65535);
  expect(k.grid[2]).toBeLessThanOrEqual(65535);
  const m = k.model;
  for (const field of ['flops', 'dramBytes', 'trafficBytes', 'regsPerThread', 'computeEfficiency'] as const) {
    expect(Number.isFinite(m[field]) && m[field] > 0, `${field} of ${where}`).toBe(true);
  }
  expect(m.sharedBytesPerBlock).toBe(k.dynamicSharedBytes);
  expect(m.computeEfficiency).toBeLessThanOrEqual(1);
  expect(m.trafficBytes).toBeGreaterThanOrEqual(m.dramBytes);
  expect(m.regsPerThread).toBeLessThanOrEqual(255);
  expect(coverageProblem(t.name, w, config, k), where).toBeNull();
}

describe.each(ODD_SHAPES.concat(ALL_SHAPES.filter((s) => s.name.startsWith('layer') || s.name === 'conv1')))(
  'templates on $name',
  ({ w }) => {
    const templates = templatesFor(w, { tensorCore: true });

    it('has at least one template, all of the right op', () => {
      expect(templates.length).toBeGreaterThan(0);
      for (const t of templates) expect(t.op).toBe(w.op);
    });

    it.each(templates.map((t) => [t.name, t] as const))(
      '%s: default config is valid and generates',
      (_n, t) => {
        const space = t.space(w, device);
        const config = t.defaultConfig(w, device);
        expect(space.invalidReason(config)).toBeNull();
        checkSource(t, w, config, t.generate(w, config, device));
      },
    );

    it.each(templates.map((t) => [t.name, t] as const))(
      `%s: ${SAMPLES} sampled configs generate`,
      (_n, t) => {
        const space = t.space(w, device);
        const rng = new Rng(42);
        for (let i = 0; i < SAMPLES; i++) {
          const config = space.sample(rng);
          checkSource(t, w, config, t.generate(w, config, device));
        }
      },
    );
  },
);

describe('template registry coverage', () => {
  it('every template applies to some shape of the grid', () => {
    for (const t of TEMPLATES) {
      expect(
        ALL_SHAPES.some(({ w }) => t.op === w.op && t.applies(w)),
        t.name,
      ).toBe(true);
    }
  });
});
