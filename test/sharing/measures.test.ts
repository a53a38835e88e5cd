import { describe, expect, it } from 'vitest';
import { DEFAULT_MEASURE_OPTIONS, type MeasureResult } from '../../src/measure/types.js';
import { disturbanceReport, worthRetiming } from '../../src/sharing/fidelity.js';
import { kernelMsOf } from '../../src/sharing/index.js';
import { OccupancyMeter } from '../../src/sharing/occupancy.js';
import type { DisturbancePair } from '../../src/sharing/types.js';

const ok = (timesMs: number[]): MeasureResult => ({
  ok: true,
  timesMs,
  medianMs: [...timesMs].sort((a, b) => a - b)[timesMs.length >> 1] as number,
  compileMs: 1,
  checked: true,
  maxRelError: 0,
  binaryHash: 'h',
  registers: 32,
});

describe('kernel time and occupancy', () => {
  it('counts the check run, the warm-up and every timed launch', () => {
    const options = { ...DEFAULT_MEASURE_OPTIONS, warmup: 2, number: 5, repeat: 3, minRepeatMs: 0 };
    expect(kernelMsOf(ok([1, 1, 1]), options)).toBeCloseTo(3 * 5 + 1 * 3);
  });

  it('raises launches per group as min_repeat_ms does', () => {
    const options = { ...DEFAULT_MEASURE_OPTIONS, warmup: 1, number: 1, repeat: 2, minRepeatMs: 10 };
    expect(kernelMsOf(ok([0.5, 0.5]), options)).toBeCloseTo(2 * 20 * 0.5 + 0.5 * 2);
  });

  it('gives failures no kernel time', () => {
    expect(
      kernelMsOf({ ok: false, kind: 'fault', message: 'x', compileMs: 0 }, DEFAULT_MEASURE_OPTIONS),
    ).toBe(0);
  });

  it('occupancy is kernel slice-time over wall time times slices; reused results ran nothing', () => {
    const options = { ...DEFAULT_MEASURE_OPTIONS, warmup: 0, number: 1, repeat: 1 };
    const meter = new OccupancyMeter(2, options);
    const slice = {
      id: 's',
      mechanism: 'green',
      requestedPercent: 50,
      sms: 66,
      totalSms: 132,
      deviceName: 'x',
      simulated: true,
    } as const;
    meter.add(0, [{ id: 'a', result: ok([10]), slice, runWallMs: 30 }]);
    meter.add(1, [{ id: 'b', result: ok([10]), slice, runWallMs: 0 }]);
    // 10 ms timed + 10 ms check run on one slice, over 100 ms × 2 slices.
    expect(meter.occupancy(100)).toBeCloseTo(20 / 200);
    expect(meter.of(0)).toMatchObject({ items: 1, runnerMs: 30 });
    expect(meter.of(1).items).toBe(0);
  });
});

describe('disturbanceReport', () => {
  const pair = (kind: DisturbancePair['kind'], colocatedMs: number, aloneMs: number): DisturbancePair => ({
    taskKey: 't',
    configKey: `${kind}${colocatedMs}`,
    kind,
    colocatedMs,
    aloneMs,
    ratio: colocatedMs / aloneMs,
  });

  it('reports the ratio distribution of the random sample, and the top configs apart', () => {
    const r = disturbanceReport([
      pair('sample', 1.1, 1),
      pair('sample', 1.2, 1),
      pair('sample', 1.3, 1),
      pair('top', 1, 1),
      pair('top', 2, 1),
    ]);
    expect(r?.samples).toBe(3);
    expect(r?.median).toBeCloseTo(1.2);
    expect(r?.p90).toBeCloseTo(1.28);
    expect(r?.max).toBeCloseTo(1.3);
    expect(r?.top).toMatchObject({ samples: 2, median: 1.5 });
  });

  it('is absent when nothing was re-timed', () => {
    expect(disturbanceReport([])).toBeUndefined();
  });
});

describe('worthRetiming', () => {
  const trial = (cost: number) => ({ config: {}, configKey: `c${cost}`, cost });
  const top = [trial(1), trial(1.04), trial(1.3)];
  const seen = (...ratios: number[]): DisturbancePair[] =>
    ratios.map((ratio, i) => ({
      taskKey: 't',
      configKey: `p${i}`,
      kind: 'sample',
      colocatedMs: ratio,
      aloneMs: 1,
      ratio,
    }));

  it('re-times every top config until the run has seen a few disturbance ratios', () => {
    expect(worthRetiming(top, seen(1, 1.01, 1.02)).map((t) => t.cost)).toEqual([1, 1.04, 1.3]);
  });

  it('drops the top configs too slow to win alone under the disturbance seen (green-like: 1-2%)', () => {
    expect(worthRetiming(top, seen(1, 1.01, 1.02, 1.0)).map((t) => t.cost)).toEqual([1, 1.04]);
  });

  it('keeps them all where co-located timings spread widely (MPS at 100%: 1-3x)', () => {
    expect(worthRetiming(top, seen(1, 1.5, 2.2, 3)).map((t) => t.cost)).toEqual([1, 1.04, 1.3]);
  });

  it('always keeps the best, and nothing comes of nothing', () => {
    expect(worthRetiming([trial(1)], seen(1, 1, 1, 1))).toHaveLength(1);
    expect(worthRetiming([], seen(1, 1, 1, 1))).toEqual([]);
  });
});
