/**
 * NVRTC: CUDA C -> CUBIN for the device's own architecture. This file loads ONLY libnvrtc, never
 * libcuda: compile workers must not open the GPU.
 */
import koffi from 'koffi';
import { SlicetuneError } from '../../util/errors.js';
import { hashOf } from '../../util/hash.js';
import type { Compiler } from '../backend.js';
import { CompileError } from '../errors.js';
import type { KernelBinary, KernelSource } from '../types.js';
import { locateLibrary } from './locate.js';
import { nvrtcResultName } from './results.js';

type Native = (...args: unknown[]) => unknown;

// Raw byte outputs are `void *` where nvrtc.h says `char *` (koffi would marshal a JS string).
const PROTOTYPES = {
  nvrtcGetErrorString: 'const char *nvrtcGetErrorString(nvrtcResult result)',
  nvrtcVersion: 'nvrtcResult nvrtcVersion(int *major, int *minor)',
  nvrtcCreateProgram:
    'nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name, int numHeaders, ' +
    'const char * const *headers, const char * const *includeNames)',
  nvrtcDestroyProgram: 'nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog)',
  nvrtcCompileProgram:
    'nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char * const *options)',
  nvrtcGetCUBINSize: 'nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t *cubinSizeRet)',
  nvrtcGetCUBIN: 'nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, void *cubin)',
  nvrtcGetProgramLogSize: 'nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t *logSizeRet)',
  nvrtcGetProgramLog: 'nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, void *log)',
} as const;

type Nvrtc = { [K in keyof typeof PROTOTYPES]: Native };

const NVRTC_SUCCESS = 0;
const NVRTC_ERROR_INVALID_OPTION = 5;
const NVRTC_ERROR_COMPILATION = 6;

let bound: Nvrtc | undefined;
let typesRegistered = false;

function nvrtc(): Nvrtc {
  if (bound) return bound;
  const { lib } = locateLibrary('nvrtc');
  if (!typesRegistered) {
    koffi.alias('nvrtcResult', 'int');
    koffi.alias('nvrtcProgram', 'void *');
    typesRegistered = true;
  }
  const fns: Record<string, Native> = {};
  for (const [name, proto] of Object.entries(PROTOTYPES)) fns[name] = lib.func(proto) as Native;
  bound = fns as Nvrtc;
  return bound;
}

/** The one check every NVRTC call goes through: non-zero nvrtcResult -> CompileError. */
function checkNvrtc(call: string, result: unknown, log = ''): void {
  const code = result as number;
  if (code === NVRTC_SUCCESS) return;
  let text = '';
  try {
    text = String(nvrtc().nvrtcGetErrorString(code) ?? '');
  } catch {
    // fall back to the static name alone
  }
  throw new CompileError(`${call} failed: ${nvrtcResultName(code)} (${code})${text ? `: ${text}` : ''}`, log);
}

/** NVRTC's version, e.g. `13.0`; throws CUDA_NOT_FOUND when libnvrtc is absent. */
export function nvrtcVersion(): string {
  const major = Buffer.alloc(4);
  const minor = Buffer.alloc(4);
  checkNvrtc('nvrtcVersion', nvrtc().nvrtcVersion(major, minor));
  return `${major.readInt32LE(0)}.${minor.readInt32LE(0)}`;
}

/** A compiler to CUBIN for `arch` (e.g. `sm_90`). Loads NVRTC on the first compile. */
export function createNvrtcCompiler(arch: string): Compiler {
  if (!/^sm_\d+[a-z]?$/.test(arch)) {
    throw new SlicetuneError('BAD_OPTION', `NVRTC target '${arch}' is not a real architecture like sm_90`);
  }
  return { arch, compile: (kernel) => compileToCubin(kernel, arch) };
}

function compileToCubin(kernel: KernelSource, arch: string): KernelBinary {
  const started = performance.now();
  const api = nvrtc();
  const progOut = Buffer.alloc(8);
  checkNvrtc(
    'nvrtcCreateProgram',
    api.nvrtcCreateProgram(progOut, kernel.code, `${kernel.entry}.cu`, 0, null, null),
  );
  const prog = progOut.readBigUInt64LE(0);
  let failed = false;
  try {
    // NVRTC optimizes by default and rejects -O3; the target must be a real sm_XX for a CUBIN.
    const options = [`--gpu-architecture=${arch}`, ...(kernel.compileOptions ?? [])];
    const result = api.nvrtcCompileProgram(prog, options.length, options) as number;
    const log = programLog(api, prog);
    if (result === NVRTC_ERROR_COMPILATION || result === NVRTC_ERROR_INVALID_OPTION) {
      const firstError = log.split('\n').find((line) => /error/i.test(line)) ?? log.split('\n')[0] ?? '';
      throw new CompileError(
        `${kernel.entry}: ${nvrtcResultName(result)} (options: ${options.join(' ')}): ${firstError.trim()}`,
        log,
      );
    }
    checkNvrtc('nvrtcCompileProgram', result, log);
    const size = sizeOut((p) => checkNvrtc('nvrtcGetCUBINSize', api.nvrtcGetCUBINSize(prog, p), log));
    const bytes = new Uint8Array(size);
    checkNvrtc('nvrtcGetCUBIN', api.nvrtcGetCUBIN(prog, bytes), log);
    return { hash: hashOf(bytes), arch, bytes, compileMs: performance.now() - started, log };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    progOut.writeBigUInt64LE(prog, 0);
    const destroyed = api.nvrtcDestroyProgram(progOut);
    // Never let a cleanup failure hide the compile error being thrown.
    if (!failed) checkNvrtc('nvrtcDestroyProgram', destroyed);
  }
}

function programLog(api: Nvrtc, prog: bigint): string {
  const size = sizeOut((p) => checkNvrtc('nvrtcGetProgramLogSize', api.nvrtcGetProgramLogSize(prog, p)));
  if (size <= 1) return '';
  const bytes = Buffer.alloc(size);
  checkNvrtc('nvrtcGetProgramLog', api.nvrtcGetProgramLog(prog, bytes));
  const end = bytes.indexOf(0);
  return bytes.toString('utf8', 0, end < 0 ? size : end);
}

function sizeOut(fill: (out: Buffer) => void): number {
  const out = Buffer.alloc(8);
  fill(out);
  return Number(out.readBigUInt64LE(0));
}
