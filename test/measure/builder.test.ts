import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fmaVariant } from '../../bench/lib/kernels.js';
import { Builder } from '../../src/measure/builder.js';

const shape = { elements: 1024, iters: 16 };

describe('Builder', () => {
  let builder: Builder | undefined;
  afterEach(async () => {
    await builder?.close();
    builder = undefined;
  });

  for (const workerKind of ['thread', 'process'] as const) {
    it(`compiles in ${workerKind} workers, each distinct source once`, async () => {
      builder = new Builder({ backend: 'sim', arch: 'sm_90', workers: 2, workerKind });
      const kernels = [0, 1, 2, 0, 1].map((v) => fmaVariant(shape, v));
      const out = await builder.build(kernels);
      expect(out.every((o) => o.ok)).toBe(true);
      expect(builder.compiled).toBe(3);
      expect(builder.cacheHits).toBe(2);
      const hash = (i: number) => {
        const o = out[i];
        return o?.ok ? o.binary.hash : undefined;
      };
      expect(hash(0)).toBe(hash(3));
      expect(hash(0)).not.toBe(hash(1));
    });
  }

  for (const workerKind of ['thread', 'process'] as const) {
    it(`ends a compile that runs past the build timeout and goes on (${workerKind} worker)`, async () => {
      // A fresh worker boots tsx first (up to a second or two here), inside its first timeout.
      const timeoutMs = 3000;
      builder = new Builder({ backend: 'sim', arch: 'sm_90', workers: 1, workerKind, timeoutMs });
      const k = fmaVariant(shape, 7);
      const stuck = { ...k, model: { ...k.model, simBehavior: 'compile-hang' as const } };
      // One worker: the good kernel can only compile on the worker that replaced the stuck one.
      const [bad, good] = await builder.build([stuck, fmaVariant(shape, 8)]);
      expect(bad?.ok).toBe(false);
      expect(bad && !bad.ok ? bad.message : '').toContain(`within ${timeoutMs / 1000} s (build timeout)`);
      expect(bad && !bad.ok ? bad.compileMs : 0).toBe(timeoutMs);
      expect(good?.ok).toBe(true);
      expect(builder.timedOut).toBe(1);
    });
  }

  it('returns a compile failure with the log, and keeps compiling after it', async () => {
    builder = new Builder({ backend: 'sim', arch: 'sm_90', workers: 1, workerKind: 'process' });
    const k = fmaVariant(shape, 5);
    const broken = { ...k, code: `${k.code}\n#error planted` };
    const [bad, good] = await builder.build([broken, fmaVariant(shape, 6)]);
    expect(bad?.ok).toBe(false);
    expect(bad && !bad.ok ? bad.log : '').toMatch(/planted/);
    expect(good?.ok).toBe(true);
  });
});

describe('Builder in a process of its own', () => {
  // vitest keeps its event loop alive, which hid a close() that waited on an unref'd child:
  // a plain Node process must build, close, and exit 0 on its own.
  for (const workerKind of ['thread', 'process'] as const) {
    it(`lets the host exit after close() with ${workerKind} workers`, () => {
      const script = `
        import { Builder } from './src/measure/builder.ts';
        import { fmaVariant } from './bench/lib/kernels.ts';
        const b = new Builder({ backend: 'sim', arch: 'sm_90', workers: 2, workerKind: '${workerKind}' });
        const [r] = await b.build([fmaVariant({ elements: 1024, iters: 16 }, 1)]);
        await b.close();
        console.log(r.ok ? 'built-and-closed' : 'failed');`;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.stderr).not.toMatch(/FATAL/);
      expect(run.stdout.trim()).toBe('built-and-closed');
      expect(run.status).toBe(0);
    });
  }
});
