import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fmaVariant } from '../../bench/lib/kernels.js';
import { Builder } from '../../src/measure/builder.js';
import { COMPILE_TRACE_ENV, CompileTracer, readCompileTrace } from '../../src/measure/compile-trace.js';
import { hashOf } from '../../src/util/hash.js';

const shape = { elements: 1024, iters: 16 };

describe('compile trace', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'compile-trace-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    delete process.env[COMPILE_TRACE_ENV];
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is off unless the variable names a directory: the compile runs, nothing is written', () => {
    const tracer = new CompileTracer(undefined);
    let sourceAsked = false;
    const out = tracer.trace(
      () => {
        sourceAsked = true;
        return 'x';
      },
      () => 7,
    );
    expect(out).toBe(7);
    expect(sourceAsked).toBe(false);
  });

  it('writes one line per compile, failed ones too, with the idle time since the last', () => {
    const dir = scratch();
    const tracer = new CompileTracer(dir);
    tracer.trace(
      () => 'a',
      () => 1,
    );
    expect(() =>
      tracer.trace(
        () => 'b',
        () => {
          throw new Error('compile error');
        },
      ),
    ).toThrow('compile error');
    const lines = readCompileTrace(dir);
    expect(lines.map((l) => l.source)).toEqual(['a', 'b']);
    expect(lines[0]?.idleBeforeMs).toBeUndefined();
    expect(lines[1]?.idleBeforeMs).toBeGreaterThanOrEqual(0);
    for (const l of lines) {
      expect(l.pid).toBe(process.pid);
      expect(l.wallMs).toBeGreaterThanOrEqual(0);
      expect(l.spinMs).toBeGreaterThan(0);
      expect(l.chaseNsPerStep).toBeGreaterThan(0);
      expect(l.userMs + l.systemMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("traces the builder's worker processes when the variable is set before they start", async () => {
    const dir = scratch();
    process.env[COMPILE_TRACE_ENV] = dir;
    const builder = new Builder({ backend: 'sim', arch: 'sm_90', workers: 2, workerKind: 'process' });
    try {
      const kernels = [0, 1, 2].map((v) => fmaVariant(shape, v));
      expect((await builder.build(kernels)).every((o) => o.ok)).toBe(true);
    } finally {
      await builder.close();
    }
    const lines = readCompileTrace(dir);
    expect(readdirSync(dir).length).toBeGreaterThanOrEqual(1);
    expect(new Set(lines.map((l) => l.source))).toEqual(
      new Set([0, 1, 2].map((v) => hashOf(fmaVariant(shape, v).code))),
    );
    expect(lines.every((l) => l.pid !== process.pid)).toBe(true);
  });
});
