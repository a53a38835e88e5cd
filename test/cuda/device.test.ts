import { describe, expect, it } from 'vitest';
import { openBackend, openCompiler, probeDevices, resolveBackend } from '../../src/gpu/device.js';
import { isSlicetuneError } from '../../src/util/errors.js';

describe('choosing the backend', () => {
  it('takes the simulated GPU when asked', () => {
    expect(resolveBackend('sim')).toEqual({ kind: 'sim', reason: expect.stringContaining('--device sim') });
  });

  it('auto picks CUDA only where a driver and a device answer, and says why otherwise', () => {
    const { kind, reason } = resolveBackend('auto');
    if (kind === 'sim') {
      expect(reason).toMatch(/searched|CUDA driver/);
      expect(reason).toContain('using the simulated GPU');
      let refused: unknown;
      try {
        resolveBackend('cuda');
      } catch (e) {
        refused = e;
      }
      expect(isSlicetuneError(refused)).toBe(true);
    } else {
      expect(reason).toMatch(/CUDA driver \d+\.\d .*device/);
    }
  });

  it('opens the simulated backend and compiler by kind', () => {
    const backend = openBackend('sim');
    expect(backend.info.simulated).toBe(true);
    backend.close();
    expect(openCompiler('sim', backend.info.arch).arch).toBe(backend.info.arch);
  });

  it('opens an NVRTC compiler without loading anything until it compiles', () => {
    expect(openCompiler('cuda', 'sm_90').arch).toBe('sm_90');
    let refused: unknown;
    try {
      openCompiler('cuda', 'compute_90');
    } catch (e) {
      refused = e;
    }
    expect(isSlicetuneError(refused, 'BAD_OPTION')).toBe(true);
  });

  it('describes the simulated device and its mechanisms as simulated', async () => {
    const probe = await probeDevices('sim');
    expect(probe.backend).toBe('sim');
    expect(probe.devices).toHaveLength(1);
    expect(probe.devices[0]?.simulated).toBe(true);
    expect(probe.mechanisms.green).toEqual({ supported: true, why: 'simulated' });
    expect(probe.mechanisms.mps).toEqual({ supported: true, why: 'simulated' });
  });
});
