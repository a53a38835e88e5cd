import { afterEach, describe, expect, it } from 'vitest';
import type { Slice } from '../../src/gpu/types.js';
import { InProcessQueue, type TrackedServer, Tracker } from '../../src/sharing/index.js';
import { isSlicetuneError } from '../../src/util/errors.js';

function fakeServers(n: number, percent = 25): (TrackedServer & { alive: boolean; revived: number })[] {
  return Array.from({ length: n }, (_, index) => {
    const slice: Slice = {
      id: `green-${index}`,
      mechanism: 'green',
      requestedPercent: percent,
      sms: 32,
      totalSms: 132,
      deviceName: 'fake',
      simulated: true,
    };
    const server = {
      index,
      slice,
      percent,
      group: `runner-${index}`,
      alive: true,
      revived: 0,
      health: () => ({ alive: server.alive, restarts: server.revived }),
      revive: async () => {
        server.revived++;
        server.alive = true;
      },
    };
    return server;
  });
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Tracker', () => {
  let tracker: Tracker | undefined;
  afterEach(() => tracker?.close());

  it('hands out free servers, queues requests when all are busy, and reports it', async () => {
    tracker = new Tracker(fakeServers(2));
    const a = await tracker.acquire({ client: 0, percent: 25 });
    const b = await tracker.acquire({ client: 1, percent: 25 });
    expect(new Set([a.server, b.server])).toEqual(new Set([0, 1]));
    let third: number | undefined;
    const waiting = tracker.acquire({ client: 2, percent: 25 }).then((l) => {
      third = l.server;
      return l;
    });
    await tick();
    expect(third).toBeUndefined();
    expect(tracker.state()).toMatchObject({
      free: 0,
      pending: 1,
      queues: [{ key: 'green:25', total: 2, free: 0, pending: 1 }],
    });
    expect(tracker.state().servers.map((s) => s.client)).toEqual([
      a.server === 0 ? 0 : 1,
      a.server === 0 ? 1 : 0,
    ]);
    b.release();
    b.release(); // idempotent: the server is not handed out twice
    const c = await waiting;
    expect(c.server).toBe(b.server);
    expect(tracker.state()).toMatchObject({ free: 0, pending: 0 });
    a.release();
    c.release();
    await tick();
    expect(tracker.state()).toMatchObject({ free: 2, pending: 0 });
    expect(
      tracker
        .state()
        .servers.map((s) => s.leases)
        .reduce((x, y) => x + y),
    ).toBe(3);
  });

  it('gives the preferred server when it is free', async () => {
    tracker = new Tracker(fakeServers(4));
    const lease = await tracker.acquire({ client: 0, percent: 25, prefer: 2 });
    expect(lease.server).toBe(2);
  });

  it('refuses a share no server has, naming the servers it has', async () => {
    tracker = new Tracker(fakeServers(2));
    try {
      await tracker.acquire({ client: 0, percent: 50 });
      expect.unreachable();
    } catch (e) {
      expect(isSlicetuneError(e, 'SLICE_UNAVAILABLE')).toBe(true);
      expect(String(e)).toMatch(/green:25/);
    }
  });

  it('drops a waiting request whose signal aborts', async () => {
    tracker = new Tracker(fakeServers(1));
    const held = await tracker.acquire({ client: 0, percent: 25 });
    const stop = new AbortController();
    const waiting = tracker.acquire({ client: 1, percent: 25, signal: stop.signal });
    await tick();
    expect(tracker.state().pending).toBe(1);
    stop.abort(new Error('cancelled by the test'));
    await expect(waiting).rejects.toThrow(/cancelled by the test/);
    expect(tracker.state().pending).toBe(0);
    held.release();
    const next = await tracker.acquire({ client: 2, percent: 25 });
    expect(next.server).toBe(0);
  });

  it('never hands out a dead server, and revives one that stays down with nothing leased', async () => {
    const servers = fakeServers(2);
    tracker = new Tracker(servers, { healthMs: 10, reviveAfterMs: 30 });
    (servers[1] as (typeof servers)[number]).alive = false;
    const first = await tracker.acquire({ client: 0, percent: 25 });
    expect(first.server).toBe(0);
    expect(tracker.state().servers[1]).toMatchObject({ alive: false });
    const second = tracker.acquire({ client: 1, percent: 25 });
    const lease = await second;
    expect(lease.server).toBe(1);
    expect(servers[1]?.revived).toBe(1);
    expect(tracker.state().servers[1]).toMatchObject({ alive: true, restarts: 1 });
  });

  it('fails waiting requests when closed', async () => {
    tracker = new Tracker(fakeServers(1));
    await tracker.acquire({ client: 0, percent: 25 });
    const waiting = tracker.acquire({ client: 1, percent: 25 });
    await tick();
    tracker.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });
});

describe('InProcessQueue', () => {
  it('is FIFO per queue, counts waiting jobs, and tracks taken ones until acked', async () => {
    const q = new InProcessQueue<{ n: number }>();
    await q.enqueue('a', { n: 1 });
    await q.enqueue('b', { n: 9 });
    await q.enqueue('a', { n: 2 });
    expect(await q.size('a')).toBe(2);
    const first = await q.dequeue('a');
    expect(first?.payload.n).toBe(1);
    expect(q.activeCount('a')).toBe(1);
    expect(await q.size('a')).toBe(1);
    await q.ack('a', first?.id as string);
    expect(q.activeCount('a')).toBe(0);
    expect((await q.dequeue('a'))?.payload.n).toBe(2);
    expect(await q.dequeue('a')).toBeUndefined();
    expect(await q.size('b')).toBe(1);
  });
});
