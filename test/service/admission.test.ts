import { describe, expect, it } from 'vitest';
import { AdmissionQueue } from '../../src/service/admission.js';

const job = (name: string, claim: number) => ({ name, claim });

describe('admission by share of the GPU', () => {
  it('admits in FIFO order while the claims fit, and holds the head until its share frees', () => {
    const q = new AdmissionQueue<ReturnType<typeof job>>(100);
    const [a, b, c, d] = [job('a', 50), job('b', 60), job('c', 10), job('d', 50)];
    for (const j of [a, b, c, d]) q.enqueue(j);
    // b does not fit beside a; c would, but it waits behind b so that b is not starved.
    expect(q.admit().map((j) => j.name)).toEqual(['a']);
    expect(q.inUse).toBe(50);
    expect([q.position(b), q.position(c), q.position(a)]).toEqual([1, 2, null]);
    q.release(a);
    expect(q.admit().map((j) => j.name)).toEqual(['b', 'c']);
    expect(q.inUse).toBe(70);
    expect(q.remove(d)).toBe(true);
    expect(q.remove(d)).toBe(false);
    expect(q.admit()).toEqual([]);
  });

  it('counts thirds of the GPU as filling it', () => {
    const q = new AdmissionQueue<ReturnType<typeof job>>(100);
    for (const name of ['x', 'y', 'z']) q.enqueue(job(name, 100 / 3));
    expect(q.admit()).toHaveLength(3);
  });

  it('keeps to a lower limit', () => {
    const q = new AdmissionQueue<ReturnType<typeof job>>(50);
    q.enqueue(job('a', 25));
    q.enqueue(job('b', 30));
    expect(q.admit().map((j) => j.name)).toEqual(['a']);
  });
});
