/**
 * Finds and opens libcuda (the driver) and libnvrtc (the runtime compiler). Directories named by
 * CUDA_HOME / CUDA_PATH come first, then the usual toolkit install, then the dynamic loader's own
 * search path (plain soname). When nothing loads, the error lists every place that was tried.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { SlicetuneError } from '../../util/errors.js';

export type CudaLibrary = 'cuda' | 'nvrtc';

/** File names tried for each library, most specific first. */
const SONAMES: Record<CudaLibrary, readonly string[]> = {
  // The driver is versioned .so.1 forever. Never the toolkit's lib64/stubs/libcuda.so: it only
  // answers CUDA_ERROR_STUB_LIBRARY.
  cuda: ['libcuda.so.1'],
  nvrtc: ['libnvrtc.so.13', 'libnvrtc.so.12', 'libnvrtc.so'],
};

export interface LocateDeps {
  env: Readonly<Record<string, string | undefined>>;
  exists: (path: string) => boolean;
  /** Opens a library by path or soname; throws when it cannot. */
  load: (pathOrSoname: string) => LibraryHandle;
}

const realDeps: LocateDeps = { env: process.env, exists: existsSync, load: (p) => koffi.load(p) };

export interface LocatedLibrary {
  lib: LibraryHandle;
  /** The path or soname that loaded. */
  path: string;
}

/** Toolkit library directories to search, in order, without duplicates. */
export function cudaLibraryDirs(env: LocateDeps['env']): string[] {
  const roots = [env.CUDA_HOME, env.CUDA_PATH, '/usr/local/cuda'].filter(
    (r): r is string => r !== undefined && r !== '',
  );
  const target = process.arch === 'arm64' ? 'sbsa-linux' : 'x86_64-linux';
  const dirs = roots.flatMap((root) => [join(root, 'lib64'), join(root, 'targets', target, 'lib')]);
  return [...new Set(dirs)];
}

/** Opens the library or throws SlicetuneError('CUDA_NOT_FOUND') naming every path searched. */
export function locateLibrary(which: CudaLibrary, deps: LocateDeps = realDeps): LocatedLibrary {
  const tried: string[] = [];
  const names = SONAMES[which];
  for (const dir of cudaLibraryDirs(deps.env)) {
    for (const name of names) {
      const path = join(dir, name);
      if (!deps.exists(path)) {
        tried.push(`${path} (absent)`);
        continue;
      }
      try {
        return { lib: deps.load(path), path };
      } catch (e) {
        tried.push(`${path} (failed to load: ${firstLine(e)})`);
      }
    }
  }
  for (const name of names) {
    try {
      return { lib: deps.load(name), path: name };
    } catch (e) {
      tried.push(`${name} via the loader path (${firstLine(e)})`);
    }
  }
  const what = which === 'cuda' ? 'the CUDA driver library (libcuda.so.1)' : 'NVRTC (libnvrtc)';
  throw new SlicetuneError(
    'CUDA_NOT_FOUND',
    `could not load ${what}; searched:\n  ${tried.join('\n  ')}\n` +
      'Set CUDA_HOME to the CUDA toolkit, or add the library to LD_LIBRARY_PATH.',
  );
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0] ?? text;
}
