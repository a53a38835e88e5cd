/** Device query: what a CUDA device reports about itself, as a DeviceInfo. Needs no context. */
import type { DeviceInfo } from '../types.js';
import { type CudaDriver, check, outInt, outSize } from './driver.js';
import { DeviceAttr } from './prototypes.js';

/** cuDriverGetVersion's 13000 -> `13.0`, 12040 -> `12.4`. */
export function versionString(encoded: number): string {
  return `${Math.floor(encoded / 1000)}.${Math.floor((encoded % 1000) / 10)}`;
}

export function deviceCount(driver: CudaDriver): number {
  return outInt((p) => check('cuDeviceGetCount', driver.cu.cuDeviceGetCount(p)));
}

/** The CUdevice handle of an ordinal (throws CUDA_ERROR_INVALID_DEVICE when out of range). */
export function deviceHandle(driver: CudaDriver, ordinal: number): number {
  return outInt((p) => check('cuDeviceGet', driver.cu.cuDeviceGet(p, ordinal)));
}

/**
 * Queries device `ordinal`. Under MPS with CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, the SM count is
 * the client's limit, not the whole GPU. `cudaVersion` is the NVRTC version (`unknown` without it).
 */
export function queryDevice(driver: CudaDriver, ordinal: number, cudaVersion: string): DeviceInfo {
  const { cu } = driver;
  const dev = deviceHandle(driver, ordinal);
  const attr = (which: number, name: string) =>
    outInt((p) => check(`cuDeviceGetAttribute(${name})`, cu.cuDeviceGetAttribute(p, which, dev)));
  const nameBytes = Buffer.alloc(256);
  check('cuDeviceGetName', cu.cuDeviceGetName(nameBytes, nameBytes.length, dev));
  const major = attr(DeviceAttr.COMPUTE_CAPABILITY_MAJOR, 'COMPUTE_CAPABILITY_MAJOR');
  const minor = attr(DeviceAttr.COMPUTE_CAPABILITY_MINOR, 'COMPUTE_CAPABILITY_MINOR');
  return {
    backend: 'cuda',
    simulated: false,
    index: ordinal,
    name: cString(nameBytes),
    computeCapability: { major, minor },
    arch: `sm_${major}${minor}`,
    sms: attr(DeviceAttr.MULTIPROCESSOR_COUNT, 'MULTIPROCESSOR_COUNT'),
    warpSize: attr(DeviceAttr.WARP_SIZE, 'WARP_SIZE'),
    maxThreadsPerBlock: attr(DeviceAttr.MAX_THREADS_PER_BLOCK, 'MAX_THREADS_PER_BLOCK'),
    maxThreadsPerSm: attr(DeviceAttr.MAX_THREADS_PER_MULTIPROCESSOR, 'MAX_THREADS_PER_MULTIPROCESSOR'),
    maxBlocksPerSm: attr(DeviceAttr.MAX_BLOCKS_PER_MULTIPROCESSOR, 'MAX_BLOCKS_PER_MULTIPROCESSOR'),
    sharedMemPerBlock: attr(DeviceAttr.MAX_SHARED_MEMORY_PER_BLOCK, 'MAX_SHARED_MEMORY_PER_BLOCK'),
    sharedMemPerBlockOptin: attr(
      DeviceAttr.MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
      'MAX_SHARED_MEMORY_PER_BLOCK_OPTIN',
    ),
    sharedMemPerSm: attr(
      DeviceAttr.MAX_SHARED_MEMORY_PER_MULTIPROCESSOR,
      'MAX_SHARED_MEMORY_PER_MULTIPROCESSOR',
    ),
    regsPerBlock: attr(DeviceAttr.MAX_REGISTERS_PER_BLOCK, 'MAX_REGISTERS_PER_BLOCK'),
    regsPerSm: attr(DeviceAttr.MAX_REGISTERS_PER_MULTIPROCESSOR, 'MAX_REGISTERS_PER_MULTIPROCESSOR'),
    l2Bytes: attr(DeviceAttr.L2_CACHE_SIZE, 'L2_CACHE_SIZE'),
    memoryBytes: outSize((p) => check('cuDeviceTotalMem_v2', cu.cuDeviceTotalMem_v2(p, dev))),
    clockKHz: attr(DeviceAttr.CLOCK_RATE, 'CLOCK_RATE'),
    memClockKHz: attr(DeviceAttr.MEMORY_CLOCK_RATE, 'MEMORY_CLOCK_RATE'),
    memBusWidthBits: attr(DeviceAttr.GLOBAL_MEMORY_BUS_WIDTH, 'GLOBAL_MEMORY_BUS_WIDTH'),
    driverVersion: versionString(driver.version),
    cudaVersion,
  };
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.toString('utf8', 0, end < 0 ? bytes.length : end);
}
