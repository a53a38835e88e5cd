import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fmaVariant } from '../../bench/lib/kernels.js';
import { simStragglerMarker } from '../../src/gpu/sim/index.js';
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
      expect(builder.hedged).toBe(0); // no hedge policy: a straggler waits for the build timeout
    });
  }

  for (const workerKind of ['thread', 'process'] as const) {
    it(`compiles a straggler again on an idle worker and takes the first answer (${workerKind} worker)`, async () => {
      builder = new Builder({
        backend: 'sim',
        arch: 'sm_90',
        workers: 2,
        workerKind,
        timeoutMs: 30_000,
        hedge: { minMs: 500, factor: 4 },
      });
      await builder.build([fmaVariant(shape, 20), fmaVariant(shape, 21)]); // both workers up
      // Booting a worker (tsx) can itself pass 500 ms here: count from now.
      const { hedged, hedgeWins } = builder;
      const k = fmaVariant(shape, 22);
      // A source of its own each run, so that the marker of an earlier run cannot be there.
      const straggler = {
        ...k,
        code: `${k.code}\n// ${workerKind} ${process.pid} ${Date.now()}`,
        model: { ...k.model, simBehavior: 'compile-straggler' as const },
      };
      try {
        const started = Date.now();
        const [out] = await builder.build([straggler]);
        expect(out?.ok).toBe(true);
        expect(Date.now() - started).toBeLessThan(10_000); // well inside the 30-s build timeout
        expect(builder.hedged - hedged).toBe(1);
        expect(builder.hedgeWins - hedgeWins).toBe(1);
        expect(builder.timedOut).toBe(0);
        // The stuck worker was replaced: both workers compile again.
        const after = await builder.build([fmaVariant(shape, 23), fmaVariant(shape, 24)]);
        expect(after.every((o) => o.ok)).toBe(true);
      } finally {
        rmSync(simStragglerMarker(straggler), { force: true });
      }
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
