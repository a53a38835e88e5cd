/**
 * The one entry point the rest of slicetune uses to reach a GPU: pick the backend (real CUDA or
 * the simulated device), open it, open a compiler for it, and describe what this machine offers.
 */
import { isSlicetuneError, SlicetuneError } from '../util/errors.js';
import type { BackendOptions, Compiler, GpuBackend } from './backend.js';
import { createCudaBackend } from './cuda/backend.js';
import { deviceCount, queryDevice, versionString } from './cuda/device-info.js';
import { cudaDriver } from './cuda/driver.js';
import { createNvrtcCompiler, nvrtcVersion } from './cuda/nvrtc.js';
import { findMpsControl } from './mps.js';
import { createSimBackend, createSimCompiler, SIM_DEVICE_INFO } from './sim/index.js';
import type { BackendKind, DeviceInfo } from './types.js';

export type DeviceChoice = 'auto' | 'cuda' | 'sim';

/** Green contexts need a 12.4+ driver (cuDriverGetVersion >= 12040). */
const GREEN_MIN_DRIVER = 12040;

export interface Mechanisms {
  exclusive: true;
  timeslice: true;
  green: { supported: boolean; why: string };
  mps: { supported: boolean; why: string };
}

export interface DeviceProbe {
  backend: BackendKind;
  reason: string;
  devices: DeviceInfo[];
  mechanisms: Mechanisms;
}

/**
 * Which backend to use. `auto` takes CUDA when libcuda loads, cuInit works and a device exists,
 * else the simulated GPU; `cuda` throws (CUDA_NOT_FOUND / CUDA_ERROR) when it cannot.
 */
export function resolveBackend(choice: DeviceChoice): { kind: BackendKind; reason: string } {
  if (choice === 'sim') return { kind: 'sim', reason: 'simulated GPU chosen (--device sim)' };
  try {
    const driver = cudaDriver();
    const count = deviceCount(driver);
    if (count === 0)
      throw new SlicetuneError('CUDA_NOT_FOUND', `CUDA driver ${driver.path} reports no device`);
    return {
      kind: 'cuda',
      reason: `CUDA driver ${versionString(driver.version)} (${driver.path}), ${count} device(s)`,
    };
  } catch (e) {
    if (choice === 'cuda') throw e;
    const why = isSlicetuneError(e, 'CUDA_NOT_FOUND')
      ? 'no CUDA driver found'
      : 'the CUDA driver is unusable';
    const detail = e instanceof Error ? e.message : String(e);
    return { kind: 'sim', reason: `${why} (${detail}): using the simulated GPU` };
  }
}

export function openBackend(kind: BackendKind, options: BackendOptions = {}): GpuBackend {
  return kind === 'cuda' ? createCudaBackend(options) : createSimBackend(options);
}

/** A compiler for `arch`. The CUDA one loads only NVRTC: compile workers never open the GPU. */
export function openCompiler(kind: BackendKind, arch: string): Compiler {
  return kind === 'cuda' ? createNvrtcCompiler(arch) : createSimCompiler(arch);
}

/** For `slicetune devices`: the devices of the chosen backend and the slice mechanisms there. */
export async function probeDevices(choice: DeviceChoice): Promise<DeviceProbe> {
  const { kind, reason } = resolveBackend(choice);
  if (kind === 'sim') {
    const simulated = { supported: true, why: 'simulated' };
    return {
      backend: 'sim',
      reason,
      devices: [SIM_DEVICE_INFO],
      mechanisms: { exclusive: true, timeslice: true, green: simulated, mps: simulated },
    };
  }
  const driver = cudaDriver();
  let cudaVersion = 'unknown';
  try {
    cudaVersion = nvrtcVersion();
  } catch {
    // listing devices does not need NVRTC
  }
  const devices = Array.from({ length: deviceCount(driver) }, (_, i) => queryDevice(driver, i, cudaVersion));
  return { backend: 'cuda', reason, devices, mechanisms: realMechanisms(driver.version, !!driver.green) };
}

function realMechanisms(driverVersion: number, greenSymbols: boolean): Mechanisms {
  const version = versionString(driverVersion);
  const green =
    driverVersion < GREEN_MIN_DRIVER
      ? { supported: false, why: `driver CUDA ${version} < 12.4` }
      : greenSymbols
        ? { supported: true, why: `driver CUDA ${version} has green contexts` }
        : { supported: false, why: `driver CUDA ${version} lacks cuGreenCtxCreate` };
  const control = findMpsControl();
  const mps = control
    ? { supported: true, why: `MPS control daemon found: ${control}` }
    : { supported: false, why: 'nvidia-cuda-mps-control not found on PATH' };
  return { exclusive: true, timeslice: true, green, mps };
}
