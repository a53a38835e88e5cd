/**
 * Servers that die mid-run: a runner killed from outside is restarted and its work requeued; an
 * MPS-wide failure (a planted faulting kernel under mechanism 'mps' makes the pool restart every
 * client) is survived. Nothing recorded is lost, nothing is recorded twice.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KernelSource } from '../../src/gpu/types.js';
import { MeasureSession } from '../../src/measure/session.js';
import { RecordStore } from '../../src/records/store.js';
import { trackedServersOf, tuneModel } from '../../src/sharing/index.js';
import { getTemplate } from '../../src/templates/index.js';
import { stableStringify } from '../../src/util/hash.js';
import { eventLog, FAST_SIM, sharedPlan, smallTasks } from './helpers.js';

const TRIALS = 8;

describe('tuning through server failures (simulated GPU)', () => {
  let session: MeasureSession | undefined;
  let store: RecordStore | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await session?.close();
    store?.close();
    session = undefined;
    store = undefined;
  });

  const open = async () => {
    session = await MeasureSession.open({
      device: 'sim',
      mechanism: 'mps',
      slices: 4,
      percent: 25,
      compileWorkers: 1,
      backendOptions: FAST_SIM,
    });
    store = RecordStore.open(':memory:');
    return { session, store };
  };

  const expectEveryRecordOnce = (s: RecordStore, keys: string[]) => {
    for (const key of keys) {
      const configKeys = s.query({ taskKey: key }).map((r) => r.configKey);
      expect(configKeys).toHaveLength(TRIALS);
      expect(new Set(configKeys).size).toBe(TRIALS);
    }
  };

  it('a runner killed mid-run is restarted and its work requeued', async () => {
    const tasks = smallTasks();
    const { session, store } = await open();
    const victim = session.pool.servers[1];
    if (!victim) throw new Error('no server 1');
    const { events, onEvent } = eventLog();
    // Kill server 1's runner just after it was handed its third item, while that item runs.
    const run = victim.process.run.bind(victim.process);
    let calls = 0;
    let killed = false;
    let killedAtEvent = -1;
    vi.spyOn(victim.process, 'run').mockImplementation((...args) => {
      const outcome = run(...args);
      if (++calls === 3) {
        killed = true;
        killedAtEvent = events.length;
        setTimeout(() => victim.process.kill(), 1);
      }
      return outcome;
    });
    const result = await tuneModel({
      tasks,
      plan: sharedPlan('mps', tasks.length),
      device: 'sim',
      session,
      store,
      runId: 'kill-1',
      trialsPerTask: TRIALS,
      strategy: 'random',
      seed: 11,
      batchSize: 4,
      onEvent,
    });
    expect(killed).toBe(true);
    expect(result.stopped).toBe(false);
    expect(result.trials).toBe(tasks.length * TRIALS);
    expectEveryRecordOnce(
      store,
      tasks.map((t) => t.key),
    );
    expect(victim.process.alive).toBe(true);
    expect(victim.process.restarts).toBeGreaterThanOrEqual(1);
    expect(result.servers[1]?.restarts).toBeGreaterThanOrEqual(1);
    expect(result.stats.requeued).toBeGreaterThanOrEqual(1);
    // Server 1 kept measuring after the kill.
    expect(events.slice(killedAtEvent).some((e) => e.type === 'task' && e.server === 1)).toBe(true);
  });

  it('a runner that died idle is restarted by the pool, and the tracker sees it back', async () => {
    const { session } = await open();
    const servers = trackedServersOf(session.pool, 25);
    const victim = session.pool.servers[2];
    if (!victim) throw new Error('no server 2');
    victim.process.kill();
    await vi.waitFor(() => expect(servers[2]?.health()).toEqual({ alive: true, restarts: 1 }), {
      timeout: 10_000,
    });
    // Each mps server is its own runner: the others were never touched.
    expect(new Set(servers.map((s) => s.group)).size).toBe(4);
    expect(servers.filter((s) => s.health().restarts > 0).map((s) => s.index)).toEqual([2]);
  });

  it('survives an MPS-wide failure: every client restarted, the faulting config recorded as a fault, nothing lost', async () => {
    const tasks = smallTasks();
    const { session, store } = await open();
    const target = tasks[0];
    if (!target) throw new Error('no task');
    // Plant a faulting kernel: the third config the strategy proposes for the first task.
    const template = getTemplate(target.template);
    const generate = template.generate.bind(template);
    let seen = 0;
    let planted: string | undefined;
    vi.spyOn(template, 'generate').mockImplementation((workload, config, device): KernelSource => {
      const kernel = generate(workload, config, device);
      if (workload !== target.workload) return kernel;
      if (planted === undefined && ++seen === 3) planted = stableStringify(config);
      if (planted !== stableStringify(config)) return kernel;
      return { ...kernel, model: { ...kernel.model, simBehavior: 'fault' } };
    });
    const result = await tuneModel({
      tasks,
      plan: sharedPlan('mps', tasks.length),
      device: 'sim',
      session,
      store,
      runId: 'mps-fault-1',
      trialsPerTask: TRIALS,
      strategy: 'random',
      seed: 13,
      batchSize: 4,
    });
    expect(planted).toBeDefined();
    expect(result.trials).toBe(tasks.length * TRIALS);
    expectEveryRecordOnce(
      store,
      tasks.map((t) => t.key),
    );
    const faults = store.query({ taskKey: target.key }).filter((r) => !r.result.ok);
    expect(faults).toHaveLength(1);
    expect(faults[0]?.result).toMatchObject({ ok: false, kind: 'fault' });
    expect(stableStringify(faults[0]?.config)).toBe(planted);
    // Every one of the four MPS clients was restarted (at least once) after the fault.
    expect(session.pool.stats.restarts).toBeGreaterThanOrEqual(4);
    expect(session.pool.servers.every((s) => s.process.restarts >= 1 && s.process.alive)).toBe(true);
    expect(result.tasks.find((t) => t.key === target.key)?.errors.fault).toBe(1);
  });
});
