import type { LibraryHandle } from 'koffi';
import { describe, expect, it } from 'vitest';
import { cudaLibraryDirs, type LocateDeps, locateLibrary } from '../../src/gpu/cuda/locate.js';
import { isSlicetuneError } from '../../src/util/errors.js';

const fakeLibrary = { path: 'fake' } as unknown as LibraryHandle;

/** Deps where only `present` files exist and only `loadable` names load. */
function deps(env: LocateDeps['env'], present: string[] = [], loadable: string[] = present): LocateDeps {
  const loads: string[] = [];
  return {
    env,
    exists: (path) => present.includes(path),
    load: (name) => {
      loads.push(name);
      if (!loadable.includes(name)) throw new Error(`cannot open ${name}\nsecond line`);
      return fakeLibrary;
    },
  };
}

function notFoundMessage(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(isSlicetuneError(e, 'CUDA_NOT_FOUND')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected CUDA_NOT_FOUND');
}

describe('locateLibrary', () => {
  it('lists every path searched for the driver when none loads', () => {
    const env = { CUDA_HOME: '/opt/cuda-home', CUDA_PATH: '/opt/cuda-path' };
    const message = notFoundMessage(() => locateLibrary('cuda', deps(env)));
    for (const dir of [
      '/opt/cuda-home/lib64',
      '/opt/cuda-home/targets/x86_64-linux/lib',
      '/opt/cuda-path/lib64',
      '/usr/local/cuda/lib64',
      '/usr/local/cuda/targets/x86_64-linux/lib',
    ]) {
      expect(message).toContain(`${dir}/libcuda.so.1 (absent)`);
    }
    expect(message).toContain('libcuda.so.1 via the loader path (cannot open libcuda.so.1)');
    expect(message).not.toContain('second line');
  });

  it('tries every NVRTC soname, newest first', () => {
    const message = notFoundMessage(() => locateLibrary('nvrtc', deps({})));
    const order = ['libnvrtc.so.13', 'libnvrtc.so.12', 'libnvrtc.so'].map((name) =>
      message.indexOf(`/usr/local/cuda/lib64/${name} `),
    );
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('prefers CUDA_HOME over the default install and the loader path', () => {
    const wanted = '/opt/cuda-home/lib64/libnvrtc.so.12';
    const found = locateLibrary(
      'nvrtc',
      deps({ CUDA_HOME: '/opt/cuda-home' }, [
        wanted,
        '/usr/local/cuda/lib64/libnvrtc.so.13',
        'libnvrtc.so.13',
      ]),
    );
    expect(found.path).toBe(wanted);
  });

  it('says why a library that exists failed to load, then falls back to the loader path', () => {
    const broken = '/usr/local/cuda/lib64/libcuda.so.1';
    expect(locateLibrary('cuda', deps({}, [broken], ['libcuda.so.1'])).path).toBe('libcuda.so.1');
    const message = notFoundMessage(() => locateLibrary('cuda', deps({}, [broken], [])));
    expect(message).toContain(`${broken} (failed to load: cannot open ${broken})`);
  });

  it('searches each directory once', () => {
    const dirs = cudaLibraryDirs({ CUDA_HOME: '/usr/local/cuda', CUDA_PATH: '' });
    expect(dirs).toEqual(['/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib']);
  });

  it('on this machine, either finds libcuda or says where it looked', () => {
    let located: string | undefined;
    let message = '';
    try {
      located = locateLibrary('cuda').path;
    } catch (e) {
      message = (e as Error).message;
    }
    if (located === undefined) {
      expect(message).toContain('/usr/local/cuda/lib64/libcuda.so.1');
      expect(message).toContain('libcuda.so.1 via the loader path');
    } else {
      expect(located).toMatch(/libcuda\.so\.1$/);
    }
  });
});
