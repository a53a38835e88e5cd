import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/gpu/errors.js';
import { createSimCompiler } from '../../src/gpu/sim/index.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { makeKernel } from './fixtures.js';
import { thrown } from './harness.js';

const compiler = createSimCompiler('sm_90');
const withCode = (code: string, entry = 'k'): KernelSource => ({ ...makeKernel({ entry }), code });
const logOf = (kernel: KernelSource): string => {
  const error = thrown(() => compiler.compile(kernel));
  expect(error).toBeInstanceOf(CompileError);
  return (error as CompileError).log;
};

describe('the simulated compiler', () => {
  it('gives identical binaries and hashes for identical sources, different ones otherwise', () => {
    const a = compiler.compile(makeKernel());
    const b = compiler.compile(makeKernel());
    expect(a.hash).toBe(b.hash);
    expect(a.bytes).toEqual(b.bytes);
    expect(a).toMatchObject({ arch: 'sm_90', log: '' });
    expect(a.compileMs).toBeGreaterThanOrEqual(0);
    expect(compiler.compile(makeKernel({ entry: 'other' })).hash).not.toBe(a.hash);
    const fast = { ...makeKernel(), compileOptions: ['--use_fast_math'] };
    expect(compiler.compile(fast).hash).not.toBe(a.hash);
  });

  it('accepts __launch_bounds__, comments and strings holding brackets, and guarded #error', () => {
    const code = [
      '// a comment with an unbalanced ( bracket',
      '#if BLOCK % 32 != 0',
      '#error "BLOCK must be a multiple of 32"',
      '#endif',
      'extern "C" __global__ void __launch_bounds__(256, 2) k(float* out) {',
      '  /* { */ const char* s = "}"; char c = \'(\';',
      '  out[0] = 1.0f;',
      '}',
    ].join('\n');
    expect(compiler.compile(withCode(code)).hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('fails with an NVRTC-like log: missing entry, unbalanced braces, #error', () => {
    const missing = logOf(withCode('__global__ void k(float* out) { }'));
    expect(missing).toMatch(/^k\.cu\(1\): error: kernel entry "k" is not defined/);
    expect(missing).toMatch(/1 error detected in the compilation of "k\.cu"\./);

    const unbalanced = logOf(
      withCode('extern "C" __global__ void k(float* out) {\n  if (1) {\n    out[0] = 1;\n}\n'),
    );
    expect(unbalanced).toMatch(/k\.cu\(\d+\): error: expected a "}"/);

    const extra = logOf(withCode('extern "C" __global__ void k(float* out) {\n}\n}\n'));
    expect(extra).toMatch(/k\.cu\(3\): error: expected a declaration/);

    const directive = logOf(withCode('#error planted\nextern "C" __global__ void k(float* out) { }'));
    expect(directive).toMatch(/k\.cu\(1\): error: #error directive: planted/);

    const error = thrown(() => compiler.compile(withCode('extern "C" __global__ void k(float* o) { (]; }')));
    expect((error as CompileError).code).toBe('NVRTC_ERROR');
    expect((error as CompileError).log).toMatch(/errors? detected/);
  });

  it('rejects an arch that is not an sm_ target', () => {
    expect(() => createSimCompiler('ampere')).toThrow(/sm_90/);
  });
});
