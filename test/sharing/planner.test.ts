import { describe, expect, it } from 'vitest';
import { extractTasks, loadModel } from '../../src/graph/index.js';
import { workloadFlops } from '../../src/ops/index.js';
import { planTuning, shardTasks, tuningCost } from '../../src/sharing/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';

const base = { deviceSms: 132, cpuCores: 16, tasks: 16, green: true, mps: true };

describe('planTuning', () => {
  it('gives a model for 25% four green 25% servers, one client each, a compile worker per core', () => {
    const plan = planTuning({ ...base, share: 25 });
    expect(plan).toMatchObject({
      mode: 'shared',
      mechanism: 'green',
      percent: 25,
      servers: 4,
      clients: 4,
      compileWorkers: 16,
    });
    expect(plan.why.join('\n')).toMatch(/green/);
    expect(plan.why.join('\n')).toMatch(/4 server/);
  });

  it('scales the servers with the share', () => {
    expect(planTuning({ ...base, share: 50 }).servers).toBe(2);
    expect(planTuning({ ...base, share: 10 }).servers).toBe(10);
    expect(planTuning({ ...base, share: 30 }).servers).toBe(3);
  });

  it('falls back from green to mps to timeslice, saying why', () => {
    expect(planTuning({ ...base, share: 25, green: false }).mechanism).toBe('mps');
    const plain = planTuning({ ...base, share: 25, green: false, mps: false });
    expect(plain.mechanism).toBe('timeslice');
    expect(plain.why.join('\n')).toMatch(/neither green contexts nor MPS/);
  });

  it('tunes a model for the whole GPU on one exclusive server unless overridden', () => {
    expect(planTuning({ ...base, share: 100 })).toMatchObject({
      mechanism: 'exclusive',
      servers: 1,
      clients: 2,
    });
    const mps = planTuning({ ...base, share: 100, overrides: { mechanism: 'mps', servers: 4 } });
    expect(mps).toMatchObject({ mechanism: 'mps', servers: 4, clients: 4 });
  });

  it('lets the user override mechanism, servers and clients', () => {
    const plan = planTuning({ ...base, share: 25, overrides: { mechanism: 'mps', servers: 2, clients: 6 } });
    expect(plan).toMatchObject({ mechanism: 'mps', servers: 2, clients: 6 });
    expect(plan.why.filter((w) => w.includes('as asked'))).toHaveLength(3);
  });

  it('plans enough clients that their batches keep every compile worker busy', () => {
    // 16 cores, batches of 8: four clients (two compiling while two are measured), on one server.
    const whole = planTuning({ ...base, share: 100, batchSize: 8 });
    expect(whole).toMatchObject({ servers: 1, clients: 4 });
    expect(whole.why.join('\n')).toMatch(/keep 16 compile workers busy/);
    expect(planTuning({ ...base, share: 25, batchSize: 4 })).toMatchObject({ servers: 4, clients: 8 });
    expect(planTuning({ ...base, share: 10, batchSize: 16 })).toMatchObject({ servers: 10, clients: 10 });
    expect(planTuning({ ...base, cpuCores: 2, share: 100, batchSize: 16 }).clients).toBe(1);
    expect(() => planTuning({ ...base, share: 25, batchSize: 0 })).toThrow(/batch size/);
  });

  it('never plans more clients than tasks', () => {
    const plan = planTuning({ ...base, tasks: 3, share: 25 });
    expect(plan.clients).toBe(3);
    expect(plan.servers).toBe(4);
  });

  it('baseline: one client, one server, whatever the share', () => {
    expect(planTuning({ ...base, share: 100, baseline: true })).toMatchObject({
      mode: 'baseline',
      mechanism: 'exclusive',
      servers: 1,
      clients: 1,
    });
    expect(planTuning({ ...base, share: 25, baseline: true })).toMatchObject({
      mechanism: 'green',
      servers: 1,
      clients: 1,
    });
  });

  it('refuses plans that cannot work, naming the option', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isSlicetuneError(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(code(() => planTuning({ ...base, share: 0 }))).toMatch(/BAD_OPTION.*share/);
    expect(code(() => planTuning({ ...base, share: 150 }))).toMatch(/BAD_OPTION.*share/);
    expect(code(() => planTuning({ ...base, share: 25, overrides: { servers: 5 } }))).toMatch(
      /BAD_OPTION.*green/,
    );
    expect(code(() => planTuning({ ...base, share: 25, overrides: { mechanism: 'exclusive' } }))).toMatch(
      /exclusive/,
    );
    expect(
      code(() => planTuning({ ...base, share: 25, green: false, overrides: { mechanism: 'green' } })),
    ).toMatch(/SLICE_UNAVAILABLE/);
    expect(code(() => planTuning({ ...base, share: 25, baseline: true, overrides: { servers: 4 } }))).toMatch(
      /--baseline/,
    );
    expect(code(() => planTuning({ ...base, share: 25, overrides: { clients: 0 } }))).toMatch(/--clients/);
  });
});

describe('shardTasks', () => {
  const { tasks } = extractTasks(loadModel('resnet18'));

  it('puts every task in exactly one shard, heaviest in the model first', () => {
    const shards = shardTasks(tasks, 4);
    expect(shards).toHaveLength(4);
    expect(
      shards
        .flat()
        .map((t) => t.key)
        .sort(),
    ).toEqual(tasks.map((t) => t.key).sort());
    for (const shard of shards) {
      const importance = shard.map((t) => t.weight * workloadFlops(t.workload));
      expect(importance).toEqual([...importance].sort((a, b) => b - a));
    }
  });

  it('balances the estimated tuning cost', () => {
    const max = Math.max(...tasks.map((t) => workloadFlops(t.workload)));
    const loads = shardTasks(tasks, 4).map((s) => s.reduce((a, t) => a + tuningCost(t, max), 0));
    const heaviestTask = Math.max(...tasks.map((t) => tuningCost(t, max)));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(heaviestTask);
  });
});
