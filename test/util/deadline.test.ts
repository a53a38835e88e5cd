import { describe, expect, it } from 'vitest';
import { deadline } from '../../src/util/deadline.js';

describe('deadline', () => {
  it('aborts after its time, with a reason that says so', async () => {
    const d = deadline(30);
    expect(d.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect(d.signal.aborted).toBe(true);
    expect(String(d.signal.reason)).toMatch(/time limit/);
  });

  it('aborts with its parent, and not at all once cleared', async () => {
    const parent = new AbortController();
    const d = deadline(10_000, parent.signal);
    parent.abort('stop');
    expect(d.signal.aborted).toBe(true);
    const cleared = deadline(20);
    cleared.clear();
    await new Promise((r) => setTimeout(r, 60));
    expect(cleared.signal.aborted).toBe(false);
  });

  it('fires even when nothing but a listener refers to the signal and the heap is collected', async () => {
    let fired = false;
    deadline(50).signal.addEventListener('abort', () => {
      fired = true;
    });
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 150));
    expect(fired).toBe(true);
  });
});
