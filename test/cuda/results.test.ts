import { describe, expect, it } from 'vitest';
import { cuResultName, nvrtcResultName } from '../../src/gpu/cuda/results.js';
import { CudaError } from '../../src/gpu/errors.js';

describe('result names', () => {
  it('names CUresults from the static table', () => {
    expect(cuResultName(700)).toBe('CUDA_ERROR_ILLEGAL_ADDRESS');
    expect(cuResultName(701)).toBe('CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES');
    expect(cuResultName(600)).toBe('CUDA_ERROR_NOT_READY');
    expect(cuResultName(915)).toBe('CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION');
    expect(cuResultName(12345)).toContain('12345');
  });

  it('names nvrtcResults', () => {
    expect(nvrtcResultName(6)).toBe('NVRTC_ERROR_COMPILATION');
    expect(nvrtcResultName(5)).toBe('NVRTC_ERROR_INVALID_OPTION');
    expect(nvrtcResultName(99)).toContain('99');
  });

  it('every sticky error the CudaError knows has a name in the table', () => {
    const codes = [700, 710, 714, 715, 716, 717, 718, 719, 810];
    for (const code of codes) {
      const error = new CudaError('cuTest', code, cuResultName(code), 'test');
      expect(error.sticky, cuResultName(code)).toBe(true);
    }
    expect(new CudaError('cuTest', 200, cuResultName(200), 'test').sticky).toBe(false);
  });
});
