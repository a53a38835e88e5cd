/**
 * THE SIMULATED GPU: what "simulated" means in slicetune.
 *
 * The simulator cannot run CUDA C. It predicts how long one launch of a kernel takes on a slice of an
 * H100-like GPU from the kernel's launch shape (grid, block) and its KernelModel (flops, bytes,
 * registers, shared memory, efficiency), which the template that wrote the kernel supplies. It is an
 * analytical model: every number it gives is a prediction, never a measurement, and everything it
 * produces is labelled simulated (DeviceInfo.simulated, Slice.simulated, the device name).
 *
 * 1. Device. SIM_DEVICE_INFO mirrors an H100 SXM: 132 SMs, sm_90, 1980 MHz boost clock, HBM3 at
 *    2619 MHz on a 5120-bit bus, 50 MiB L2, 80 GiB. Derived peaks:
 *      peakFlopsPerSm = FP32_LANES_PER_SM (128) x 2 (an FMA is 2 flops) x clock = 507 GFLOP/s
 *                       (x 132 SMs = 66.9 TFLOP/s, the H100 SXM's FP32 rate)
 *      dramBandwidth  = 2 (double data rate) x memClock x busWidth / 8 = 3.35 TB/s
 *
 * 2. Occupancy: resident blocks per SM = the least of four limits (occupancy()):
 *      threads:   floor((maxThreadsPerSm / 32) / warpsPerBlock), warpsPerBlock = ceil(threads / 32)
 *      registers: floor(regsPerSm / (regsPerWarp x warpsPerBlock)),
 *                 regsPerWarp = ceil(regsPerThread x 32 / REG_ALLOC_UNIT) x REG_ALLOC_UNIT (256: the
 *                 hardware hands out registers per warp in chunks of 256)
 *      shared:    floor(sharedMemPerSm / (shared + SHARED_RESERVED_PER_BLOCK)); 1 KiB per block is
 *                 reserved by the system on sm_80+; shared = max(sharedBytesPerBlock, dynamicSharedBytes)
 *      blocks:    maxBlocksPerSm (32)
 *    A kernel cannot launch (launchProblem(), a ResourceError at load) when a block has more than
 *    1024 threads, more than 255 registers per thread or more registers than regsPerBlock, more
 *    shared memory than the 227 KiB opt-in, a bad grid, or when any limit above is zero.
 *
 * 3. Waves. Blocks are dealt evenly over the slice's SMs: activeSms = min(sliceSms, blocks); the
 *    busiest SM gets ceil(blocks / activeSms) blocks and runs them in rounds of at most blocksPerSm.
 *    Each round costs its own time (below) at the warps it keeps busy, so a partial last wave costs
 *    nearly a full wave when the SMs are nearly full, and less (but more than its share) when they
 *    are sparse: wave quantization. A grid smaller than the slice leaves SMs idle: no speed-up.
 *
 * 4. One round of b blocks on one SM (w = b x warpsPerBlock active warps):
 *      compute = b x flopsPerBlock / (peakFlopsPerSm x computeEfficiency x hiding(w, 8))
 *      memory  = b x bytesPerBlock / smBandwidth(w) x l2Slowdown
 *      round   = max(compute, memory) + OVERLAP_PENALTY (0.15) x min(compute, memory)
 *    hiding(w, w0) = (1 - exp(-w / w0)) / (1 - exp(-64 / w0)): more resident warps hide more
 *    latency; it is 1 at full occupancy (64 warps) and saturates: compute with w0 = 8 warps (63% at
 *    8 warps), memory with w0 = 16 (bytes in flight need more warps).
 *    bytesPerBlock = max(trafficBytes, dramBytes) / blocks. The overlap term charges for the part of
 *    the shorter phase that a real SM does not hide behind the longer one.
 *
 * 5. Bandwidth of a slice. One SM can keep only so many bytes in flight: by Little's law
 *    ~28 KiB in flight / ~700 ns DRAM latency = SM_MAX_BANDWIDTH (40 GB/s), so
 *      smBandwidth(w) = min(SM_MAX_BANDWIDTH x hiding(w, 16), dramShare / activeSms)
 *      dramShare      = dramBandwidth x DRAM_EFFICIENCY (0.9, what a copy kernel reaches) / k
 *    A slice of fewer than ~75 SMs cannot reach full DRAM bandwidth, so memory-bound kernels scale
 *    sub-linearly with SMs. k = coRunningSlices: concurrent slices split DRAM bandwidth evenly.
 *    They split the L2 too: the part of a slice's working set (dramBytes) that fits the whole L2
 *    but not its 1/k share loses its hits:
 *      lost       = (min(dramBytes, L2) - min(dramBytes, L2 / k)) / dramBytes
 *      l2Slowdown = 1 + L2_CONTENTION_PENALTY (0.5) x lost
 *
 * 6. Launch: time = (sum of rounds x codeQuirk + LAUNCH_OVERHEAD_MS (3 us)) x (timeslice ? k : 1).
 *    Mechanisms: `exclusive` ignores k (nothing else runs); `green`, `mps` (and none given) share (k
 *    splits bandwidth and L2 as above); `timeslice` gives each of k processes the whole GPU 1/k of
 *    the time, so its time is multiplied by k and bandwidth is not split.
 *    codeQuirk = 1 + QUIRK_AMPLITUDE (0.04) x (2u - 1), u from a hash of the source code: a fixed
 *    +-4% for what the model ignores (bank conflicts, instruction scheduling), so two configs with
 *    equal model numbers still differ, as on a real GPU. It makes the landscape rugged, not random.
 *    Kernels that cannot launch, and planted `hang` kernels, take Infinity.
 *
 * 7. Slices granted (grantedSms(), as the CUDA backend does on the H100): green and mps both grant
 *    floor(percent x SMs / 100) rounded DOWN to an even count, at least 2 (25% -> 32, 10% -> 12,
 *    50% -> 66). green: the backend splits the GPU into 2-SM groups once and merges whole groups
 *    per slice, so four 25% slices fit side by side (rounding up to the driver's default 8-SM
 *    groups, 33 -> 40, would fit only three); mps: the SM-count limit MPS reported there.
 *    exclusive and timeslice get every SM.
 *
 * 8. Noise: measured = modelled x exp(NOISE_SIGMA x z), z standard normal from a seeded Rng
 *    (seed, slice, launch-group counter): lognormal, sigma 1.5%. One draw per timed group: the
 *    launch-to-launch jitter averages out in a group's mean; the group-to-group drift (clocks,
 *    neighbours) does not, and is what repeats see.
 *
 * 9. Memory accounting (memInfo): in use = PROCESS_CONTEXT_BYTES (512 MiB, the CUDA context) +
 *    SLICE_CONTEXT_BYTES (32 MiB) per open slice + buffers rounded up to BUFFER_ALLOC_UNIT (512 B) +
 *    loaded modules rounded up to MODULE_ALLOC_UNIT (64 KiB). A leak of any of them shows.
 *
 * 10. The backend around the model (slice.ts, launch-data.ts). A launch sleeps count x measured x
 *    timeScale ms of wall time (timeScale 1 by default, 0 = no sleep), queued per slice like a
 *    stream, so slices of one process overlap in wall time. The slices open in the process count
 *    as co-running: k = max(BackendOptions.coRunningSlices, open slices). Outputs are a seeded
 *    pseudo-random function of (kernel.computes, input contents, scalars), identical for any
 *    correct kernel of a workload. simBehavior: `wrong` perturbs every 61st element, `nowrite`
 *    writes nothing, `block` blocks the thread for good (a driver call stuck behind a hung kernel,
 *    which only the host's watchdog can end), `fault` (or a buffer smaller than its argument) raises a sticky
 *    CUDA_ERROR_ILLEGAL_ADDRESS, `hang` (or count x measured > timeoutMs) rejects with
 *    KernelTimeoutError after timeoutMs x timeScale; both poison the process: every later call
 *    throws that error again, as a real CUDA context does.
 *
 * 11. CUDA graphs (graph.ts). A replay of a captured graph of n kernels takes
 *      graph = sum over kernels of (launch time - LAUNCH_OVERHEAD_MS) + LAUNCH_OVERHEAD_MS
 *              + GRAPH_NODE_OVERHEAD_MS (1 us) x (n - 1)
 *    one launch overhead for the whole graph instead of one per kernel, and about a microsecond
 *    between dependent kernel nodes (the grid drains and the next one ramps up). One noise draw
 *    per replay. A captured graph takes GRAPH_NODE_BYTES (1 KiB) per launch of device memory,
 *    rounded up to MODULE_ALLOC_UNIT, until it is destroyed. A replay's data effects are those
 *    of its launches in order; when no launch reads a buffer that it or a later launch writes,
 *    every replay writes the same values, so a group of replays applies them once.
 */
import { SlicetuneError } from '../../util/errors.js';
import { hashOf } from '../../util/hash.js';
import { Rng } from '../../util/rng.js';
import type { DeviceInfo, KernelSource, SliceMechanism, SliceSpec } from '../types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export const SIM_DEVICE_INFO: DeviceInfo = Object.freeze({
  backend: 'sim',
  simulated: true,
  index: 0,
  name: 'Simulated H100 (analytical model)',
  computeCapability: Object.freeze({ major: 9, minor: 0 }),
  arch: 'sm_90',
  sms: 132,
  warpSize: 32,
  maxThreadsPerBlock: 1024,
  maxThreadsPerSm: 2048,
  maxBlocksPerSm: 32,
  sharedMemPerBlock: 48 * KiB,
  sharedMemPerBlockOptin: 227 * KiB,
  sharedMemPerSm: 228 * KiB,
  regsPerBlock: 65536,
  regsPerSm: 65536,
  l2Bytes: 50 * MiB,
  memoryBytes: 80 * GiB,
  clockKHz: 1_980_000,
  memClockKHz: 2_619_000,
  memBusWidthBits: 5120,
  driverVersion: 'simulated (model v1)',
  cudaVersion: 'simulated (model v1)',
}) as DeviceInfo;

// ---- constants of the model (section numbers refer to the header) ----
const FP32_LANES_PER_SM = 128; // 1. four sub-partitions x 32 FP32 lanes
const REG_ALLOC_UNIT = 256; // 2. registers are allocated per warp in chunks of 256
const SHARED_RESERVED_PER_BLOCK = 1 * KiB; // 2. system reservation per block (sm_80+)
const MAX_REGS_PER_THREAD = 255; // 2. the ISA limit
const MAX_BLOCK_Z = 64;
const MAX_GRID_X = 2 ** 31 - 1;
const MAX_GRID_YZ = 65535;
const COMPUTE_HIDING_WARPS = 8; // 4.
const MEMORY_HIDING_WARPS = 16; // 4.
const OVERLAP_PENALTY = 0.15; // 4.
const SM_MAX_BANDWIDTH = 40e9; // 5. bytes/s one SM can pull
const DRAM_EFFICIENCY = 0.9; // 5.
const L2_CONTENTION_PENALTY = 0.5; // 5.
const LAUNCH_OVERHEAD_MS = 0.003; // 6.
const QUIRK_AMPLITUDE = 0.04; // 6.
const NOISE_SIGMA = 0.015; // 8.
export const PROCESS_CONTEXT_BYTES = 512 * MiB; // 9.
export const SLICE_CONTEXT_BYTES = 32 * MiB; // 9.
export const BUFFER_ALLOC_UNIT = 512; // 9.
export const MODULE_ALLOC_UNIT = 64 * KiB; // 9.
const GRAPH_NODE_OVERHEAD_MS = 0.001; // 11.
export const GRAPH_NODE_BYTES = 1 * KiB; // 11.

// ---- 1. device peaks ----
function peakFlopsPerSm(device: DeviceInfo): number {
  return FP32_LANES_PER_SM * 2 * device.clockKHz * 1e3;
}

function dramBandwidth(device: DeviceInfo): number {
  return (2 * device.memClockKHz * 1e3 * device.memBusWidthBits) / 8;
}

// ---- 2. occupancy ----
type OccupancyLimit = 'threads' | 'registers' | 'shared memory' | 'blocks';

interface Occupancy {
  blocksPerSm: number;
  warpsPerBlock: number;
  /** The resource that sets blocksPerSm (the first of the least). */
  limitedBy: OccupancyLimit;
  /** Blocks per SM each resource alone would allow. */
  limits: Record<OccupancyLimit, number>;
}

const product = (d: readonly number[]): number => d.reduce((a, x) => a * x, 1);

function sharedBytes(kernel: KernelSource): number {
  return Math.max(kernel.model.sharedBytesPerBlock, kernel.dynamicSharedBytes);
}

function regsPerWarp(regsPerThread: number, device: DeviceInfo): number {
  return Math.ceil((Math.max(1, regsPerThread) * device.warpSize) / REG_ALLOC_UNIT) * REG_ALLOC_UNIT;
}

/** Most threads per block a kernel with this many registers per thread can launch with. */
export function maxThreadsForRegisters(regsPerThread: number, device: DeviceInfo): number {
  const perWarp = regsPerWarp(regsPerThread, device);
  return Math.min(device.maxThreadsPerBlock, Math.floor(device.regsPerBlock / perWarp) * device.warpSize);
}

export function occupancy(kernel: KernelSource, device: DeviceInfo): Occupancy {
  const warpsPerBlock = Math.ceil(product(kernel.block) / device.warpSize);
  const limits: Record<OccupancyLimit, number> = {
    threads: Math.floor(device.maxThreadsPerSm / device.warpSize / warpsPerBlock),
    registers: Math.floor(
      device.regsPerSm / (regsPerWarp(kernel.model.regsPerThread, device) * warpsPerBlock),
    ),
    'shared memory': Math.floor(device.sharedMemPerSm / (sharedBytes(kernel) + SHARED_RESERVED_PER_BLOCK)),
    blocks: device.maxBlocksPerSm,
  };
  let limitedBy: OccupancyLimit = 'threads';
  for (const key of Object.keys(limits) as OccupancyLimit[])
    if (limits[key] < limits[limitedBy]) limitedBy = key;
  return { blocksPerSm: limits[limitedBy], warpsPerBlock, limitedBy, limits };
}

interface LaunchProblem {
  resource: OccupancyLimit | 'grid';
  message: string;
}

/** Why the kernel cannot launch on this device, or null when it can. */
export function launchProblem(kernel: KernelSource, device: DeviceInfo): LaunchProblem | null {
  const fail = (resource: LaunchProblem['resource'], why: string): LaunchProblem => ({
    resource,
    message: `kernel "${kernel.entry}" cannot launch on ${device.name}: ${resource}: ${why}`,
  });
  const [bx, by, bz] = kernel.block;
  const threads = product(kernel.block);
  if (!kernel.block.every((d) => Number.isInteger(d) && d >= 1))
    return fail('threads', `block [${kernel.block}] must be positive integers`);
  if (threads > device.maxThreadsPerBlock || bx > device.maxThreadsPerBlock || by > device.maxThreadsPerBlock)
    return fail('threads', `${threads} threads per block > ${device.maxThreadsPerBlock}`);
  if (bz > MAX_BLOCK_Z) return fail('threads', `block z ${bz} > ${MAX_BLOCK_Z}`);
  const [gx, gy, gz] = kernel.grid;
  if (
    !kernel.grid.every((d) => Number.isInteger(d) && d >= 1) ||
    gx > MAX_GRID_X ||
    gy > MAX_GRID_YZ ||
    gz > MAX_GRID_YZ
  )
    return fail('grid', `grid [${kernel.grid}] out of range`);
  const regs = kernel.model.regsPerThread;
  if (regs > MAX_REGS_PER_THREAD)
    return fail('registers', `${regs} registers per thread > ${MAX_REGS_PER_THREAD}`);
  const blockRegs = regsPerWarp(kernel.model.regsPerThread, device) * Math.ceil(threads / device.warpSize);
  if (blockRegs > device.regsPerBlock)
    return fail(
      'registers',
      `${regs} registers x ${threads} threads needs ${blockRegs} > ${device.regsPerBlock} per block`,
    );
  const shared = sharedBytes(kernel);
  if (shared > device.sharedMemPerBlockOptin)
    return fail(
      'shared memory',
      `${shared} bytes per block > ${device.sharedMemPerBlockOptin} (opt-in limit)`,
    );
  const occ = occupancy(kernel, device);
  if (occ.blocksPerSm < 1) return fail(occ.limitedBy, 'not even one block fits on an SM');
  return null;
}

// ---- 7. slices ----
export function grantedSms(spec: SliceSpec, device: DeviceInfo): number {
  const { percent } = spec;
  if (!Number.isFinite(percent) || percent < 1 || percent > 100)
    throw new SlicetuneError('BAD_OPTION', `slice percent must be in 1..100, got ${percent}`);
  const asked = (percent * device.sms) / 100;
  switch (spec.mechanism) {
    case 'green':
    case 'mps':
      return Math.min(device.sms, Math.max(2, Math.floor(Math.floor(asked) / 2) * 2));
    case 'exclusive':
    case 'timeslice':
      return device.sms;
    default:
      throw new SlicetuneError('BAD_OPTION', `unknown slice mechanism "${String(spec.mechanism)}"`);
  }
}

// ---- 4-6. time of one launch ----
function hiding(warps: number, halfWarps: number, maxWarps: number): number {
  return (1 - Math.exp(-warps / halfWarps)) / (1 - Math.exp(-maxWarps / halfWarps));
}

function l2Slowdown(workingSetBytes: number, l2Bytes: number, k: number): number {
  if (workingSetBytes <= 0 || k <= 1) return 1;
  const lost =
    (Math.min(workingSetBytes, l2Bytes) - Math.min(workingSetBytes, l2Bytes / k)) / workingSetBytes;
  return 1 + L2_CONTENTION_PENALTY * lost;
}

/** FNV-1a of the source: a cheap fixed fraction in [0, 1) per kernel text. */
function codeQuirk(code: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193);
  return 1 + QUIRK_AMPLITUDE * (2 * ((h >>> 0) / 2 ** 32) - 1);
}

function checkModel(kernel: KernelSource): void {
  const m = kernel.model;
  const bad = (what: string) =>
    new SlicetuneError('INTERNAL', `kernel "${kernel.entry}": model.${what} (a template bug)`);
  if (!(m.computeEfficiency > 0 && m.computeEfficiency <= 1))
    throw bad(`computeEfficiency must be in (0, 1], got ${m.computeEfficiency}`);
  for (const key of ['flops', 'dramBytes', 'trafficBytes', 'regsPerThread', 'sharedBytesPerBlock'] as const)
    if (!(Number.isFinite(m[key]) && m[key] >= 0))
      throw bad(`${key} must be a finite number >= 0, got ${m[key]}`);
}

/** Noise-free milliseconds of one launch on `sms` SMs (a pure function; see the header). */
export function simulateKernelTime(
  kernel: KernelSource,
  device: DeviceInfo,
  sms: number,
  context: { coRunningSlices?: number; mechanism?: SliceMechanism } = {},
): number {
  if (!Number.isInteger(sms) || sms < 1 || sms > device.sms)
    throw new SlicetuneError('BAD_OPTION', `sms must be an integer in 1..${device.sms}, got ${sms}`);
  const coRunning = context.coRunningSlices ?? 1;
  if (!Number.isInteger(coRunning) || coRunning < 1)
    throw new SlicetuneError('BAD_OPTION', `coRunningSlices must be an integer >= 1, got ${coRunning}`);
  checkModel(kernel);
  if (launchProblem(kernel, device) || kernel.model.simBehavior === 'hang') return Number.POSITIVE_INFINITY;

  const m = kernel.model;
  const k = context.mechanism === 'exclusive' ? 1 : coRunning;
  const spatialK = context.mechanism === 'timeslice' ? 1 : k;
  const occ = occupancy(kernel, device);
  const blocks = product(kernel.grid);
  const activeSms = Math.min(sms, blocks);
  const blocksOnBusiestSm = Math.ceil(blocks / activeSms);
  const maxWarps = device.maxThreadsPerSm / device.warpSize;
  const flopsPerBlock = m.flops / blocks;
  const bytesPerBlock = Math.max(m.trafficBytes, m.dramBytes) / blocks;
  const dramShare = (dramBandwidth(device) * DRAM_EFFICIENCY) / spatialK;
  const l2 = l2Slowdown(m.dramBytes, device.l2Bytes, spatialK);

  const roundSeconds = (b: number): number => {
    const warps = b * occ.warpsPerBlock;
    const flopRate =
      peakFlopsPerSm(device) * m.computeEfficiency * hiding(warps, COMPUTE_HIDING_WARPS, maxWarps);
    const byteRate = Math.min(
      SM_MAX_BANDWIDTH * hiding(warps, MEMORY_HIDING_WARPS, maxWarps),
      dramShare / activeSms,
    );
    const compute = (b * flopsPerBlock) / flopRate;
    const memory = ((b * bytesPerBlock) / byteRate) * l2;
    return Math.max(compute, memory) + OVERLAP_PENALTY * Math.min(compute, memory);
  };
  const fullRounds = Math.floor(blocksOnBusiestSm / occ.blocksPerSm);
  const tailBlocks = blocksOnBusiestSm % occ.blocksPerSm;
  const busySeconds =
    fullRounds * roundSeconds(occ.blocksPerSm) + (tailBlocks > 0 ? roundSeconds(tailBlocks) : 0);
  const timesliced = context.mechanism === 'timeslice' ? k : 1;
  return (busySeconds * 1e3 * codeQuirk(kernel.code) + LAUNCH_OVERHEAD_MS) * timesliced;
}

// ---- 11. graphs ----
/** Noise-free milliseconds of one graph replay, from its kernels' launch times (section 11). */
export function simulateGraphTime(kernelMs: readonly number[]): number {
  if (kernelMs.length === 0) return LAUNCH_OVERHEAD_MS;
  let busy = 0;
  for (const ms of kernelMs) busy += ms - LAUNCH_OVERHEAD_MS;
  return busy + LAUNCH_OVERHEAD_MS + GRAPH_NODE_OVERHEAD_MS * (kernelMs.length - 1);
}

// ---- 8. noise ----
/** Multiplicative lognormal noise for one timed group, fixed by (seed, stream, counter). */
export function measurementNoise(seed: number, stream: string, counter: number): number {
  const rng = new Rng(
    Number.parseInt(hashOf('sim-noise', String(seed), stream, String(counter)).slice(0, 8), 16),
  );
  return Math.exp(NOISE_SIGMA * rng.normal());
}
