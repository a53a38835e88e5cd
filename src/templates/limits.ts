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

/**
 * Most registers per thread the compiler can use for a block of `threads` under
 * `__launch_bounds__(threads, 1)` (every template's kernels declare it): the block's share of the
 * register file, in the allocation unit of 8, at most 255. The compiler stays under it, spilling
 * if it must, so a kernel always launches; an estimate above it means spills.
 */
export function registerCap(threads: number, device: DeviceInfo): number {
  const perThread = Math.floor(device.regsPerBlock / (Math.ceil(threads / 32) * 32) / 8) * 8;
  return Math.max(8, Math.min(MAX_REGS_PER_THREAD, perThread));
}

/** What a kernel will use: the estimate, but never above the cap the compiler obeys. */
export function modelRegs(estimate: number, threads: number, device: DeviceInfo): number {
  return Math.min(Math.ceil(estimate), registerCap(threads, device));
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
  const cap = registerCap(threads, device);
  if (regsPerThread > cap) {
    return `about ${Math.ceil(regsPerThread)} registers per thread, more than the ${cap} a block of ${threads} threads can have (it would spill)`;
  }
  return null;
}
