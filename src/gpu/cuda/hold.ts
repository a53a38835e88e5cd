/**
 * The hold kernel: one thread that spins on the GPU's nanosecond timer. Enqueued just before a
 * timed group of launches, it keeps the stream busy while the host enqueues the group, so the
 * launches run back to back and the host's launch gaps stay out of the timing (the role CUDA
 * graph replays play in PyTorch's and Triton's timings). It is plain PTX, JIT-compiled by the
 * driver, so runners need no NVRTC.
 */
import { type CudaDriver, check, type Handle, launchKernel, outHandle } from './driver.js';

const HOLD_PTX = `.version 7.0
.target sm_50
.address_size 64
.visible .entry slicetune_hold(.param .u64 ns)
{
  .reg .pred %p;
  .reg .b64 %rd<5>;
  ld.param.u64 %rd1, [ns];
  mov.u64 %rd2, %globaltimer;
WAIT:
  mov.u64 %rd3, %globaltimer;
  sub.s64 %rd4, %rd3, %rd2;
  setp.lt.u64 %p, %rd4, %rd1;
  @%p bra WAIT;
  ret;
}
`;

/** Host time to enqueue one launch through koffi, generously (measured a few µs on the H100 host). */
const ENQUEUE_NS_PER_LAUNCH = 15_000;
const BASE_NS = 30_000;
const MAX_NS = 5_000_000;

export interface HoldKernel {
  module: Handle;
  fn: Handle;
}

export function loadHoldKernel(cu: CudaDriver['cu']): HoldKernel {
  const image = Buffer.from(`${HOLD_PTX}\0`, 'utf8');
  const module = outHandle((p) => check('cuModuleLoadData(hold PTX)', cu.cuModuleLoadData(p, image)));
  const fn = outHandle((p) =>
    check('cuModuleGetFunction(slicetune_hold)', cu.cuModuleGetFunction(p, module, 'slicetune_hold')),
  );
  return { module, fn };
}

/** Holds `stream` for long enough that `launches` more can be enqueued behind it. */
export function enqueueHold(cu: CudaDriver['cu'], stream: Handle, hold: HoldKernel, launches: number): void {
  const ns = Math.min(MAX_NS, BASE_NS + launches * ENQUEUE_NS_PER_LAUNCH);
  const param = Buffer.alloc(8);
  param.writeBigUInt64LE(BigInt(ns));
  launchKernel(cu, hold.fn, [1, 1, 1], [1, 1, 1], 0, stream, [param]);
}
