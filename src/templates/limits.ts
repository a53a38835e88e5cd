/**
 * Launch limits checked before anything is compiled: threads, shared memory and a register
 * estimate against the device's limits (a config that fails here would fail to launch, or spill).
 */
import type { DeviceInfo } from '../gpu/types.js';

export interface LaunchNeeds {
  threads: number;
  sharedBytes: number;
  regsPerThread: number;
}

/** Below one warp a block wastes most of its SM sub-partition; no template needs fewer. */
export const MIN_THREADS = 32;
export const MAX_REGS_PER_THREAD = 255;

/** Registers are allocated per warp, in units of 256 (8 per thread). */
export function allocatedRegs(threads: number, regsPerThread: number): number {
  return Math.ceil(regsPerThread / 8) * 8 * Math.ceil(threads / 32) * 32;
}

export function launchProblem(needs: LaunchNeeds, device: DeviceInfo): string | null {
  const { threads, sharedBytes, regsPerThread } = needs;
  if (threads < MIN_THREADS) return `${threads} threads per block, fewer than ${MIN_THREADS}`;
  if (threads > device.maxThreadsPerBlock) {
    return `${threads} threads per block, more than the device's ${device.maxThreadsPerBlock}`;
  }
  if (sharedBytes > device.sharedMemPerBlockOptin) {
    return `${sharedBytes} bytes of shared memory per block, more than the device's ${device.sharedMemPerBlockOptin}`;
  }
  if (regsPerThread > MAX_REGS_PER_THREAD) {
    return `about ${regsPerThread} registers per thread, more than ${MAX_REGS_PER_THREAD} (it would spill)`;
  }
  const regs = allocatedRegs(threads, regsPerThread);
  if (regs > device.regsPerBlock) {
    return `about ${regs} registers per block, more than the device's ${device.regsPerBlock}`;
  }
  return null;
}
