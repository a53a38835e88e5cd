/**
 * The simulated compiler: checks the source (source-check.ts) and wraps it in a small header.
 * The "binary" is that header plus the source, so identical sources (and options) give identical
 * binaries and hashes, and the simulated backend can tell which entry and arch a binary is for.
 */

import { SlicetuneError } from '../../util/errors.js';
import { hashOf } from '../../util/hash.js';
import type { Compiler } from '../backend.js';
import { CompileError } from '../errors.js';
import type { KernelBinary, KernelSource } from '../types.js';
import { checkSource } from './source-check.js';

const MAGIC = 'SLICETUNE-SIM-CUBIN v1';

interface SimBinaryHeader {
  arch: string;
  entry: string;
}

export function createSimCompiler(arch: string): Compiler {
  if (!/^sm_\d+[a-z]?$/.test(arch))
    throw new SlicetuneError('BAD_OPTION', `compiler arch must look like sm_90, got "${arch}"`);
  return { arch, compile: (kernel) => compileSimulated(kernel, arch) };
}

function compileSimulated(kernel: KernelSource, arch: string): KernelBinary {
  const started = performance.now();
  // Blocks this compile worker for good, as a compile that never ends would.
  if (kernel.model.simBehavior === 'compile-hang')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  const name = /^[\w$]+$/.test(kernel.entry) ? kernel.entry : 'kernel';
  const options = kernel.compileOptions ?? [];
  const diagnostics = checkSource(kernel.code, kernel.entry);
  for (const option of options)
    if (!option.startsWith('-')) diagnostics.push({ line: 0, text: `invalid option "${option}"` });
  if (diagnostics.length > 0) {
    const lines = diagnostics.map((d) =>
      d.line > 0 ? `${name}.cu(${d.line}): error: ${d.text}` : `nvrtc: error: ${d.text}`,
    );
    const n = diagnostics.length;
    const log = `${lines.join('\n')}\n\n${n} error${n > 1 ? 's' : ''} detected in the compilation of "${name}.cu".\n`;
    throw new CompileError(`compiling ${name}.cu for ${arch} (simulated) failed: ${lines[0]}`, log);
  }
  const header = `${MAGIC}\narch=${arch}\nentry=${kernel.entry}\noptions=${options.join(' ')}\n\n`;
  const bytes = new TextEncoder().encode(header + kernel.code);
  return { hash: hashOf(bytes), arch, bytes, compileMs: performance.now() - started, log: '' };
}

/** Reads the header of a simulated binary; null when the bytes are not one (e.g. a real CUBIN). */
export function readSimBinaryHeader(bytes: Uint8Array): SimBinaryHeader | null {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  const end = head.indexOf('\n\n');
  if (!head.startsWith(`${MAGIC}\n`) || end < 0) return null;
  const fields = new Map(
    head
      .slice(MAGIC.length + 1, end)
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  const arch = fields.get('arch');
  const entry = fields.get('entry');
  return arch && entry ? { arch, entry } : null;
}
