/**
 * The KernelModel estimate shared by the templates: how fast a kernel's inner loop can run on an
 * SM, from its per-thread register tile, shared-memory traffic, staging overhead and unrolling.
 *
 * Units are SM cycles per warp. An SM (Volta to Hopper) issues 4 warp-instructions per cycle,
 * retires 4 warp-wide FP32 FMAs per cycle and serves 1 shared-memory wavefront (128 bytes) per
 * cycle. A thread doing `fma` FMAs per inner step with `sharedLoads` loads is bound by the
 * largest of the three; tiny register tiles are therefore load-bound (a 1x1x1 direct conv runs at
 * about a tenth of peak), 4x4 tiles with 128-bit loads reach most of it, 8x8 a little more.
 */

export interface InnerLoop {
  /** FMAs per thread per inner reduction step (the register tile size). */
  fma: number;
  /** Shared-memory load instructions per thread per step. */
  sharedLoads: number;
  /** Shared-memory wavefronts per warp per step (bank conflicts and vector width included). */
  sharedWavefronts: number;
  /** Other instructions per step: loop control and address arithmetic not folded by unrolling. */
  otherInstr: number;
}

export interface Staging {
  /** Inner steps computed from one shared-memory stage (between barriers). */
  innerSteps: number;
  /** Instructions per thread to fill one stage: global loads, shared stores, index math. */
  loadInstr: number;
  /** Barriers per stage. */
  barriers: number;
  /** Registers hold the next stage while this one is computed (global latency hidden). */
  doubleBuffered: boolean;
}

/** Real SIMT GEMMs stop near 80-90% of peak: dual-issue limits and register bank conflicts. */
const PRACTICAL_CEILING = 0.88;
/** Cycles a barrier costs a warp beyond its instruction (waiting for the slowest warp). */
const BARRIER_CYCLES = 12;
/** Exposed global-load latency per stage without double buffering, after other warps' cover. */
const EXPOSED_LOAD_CYCLES = 40;

export function computeEfficiency(inner: InnerLoop, staging: Staging): number {
  const fmaCycles = inner.fma / 4;
  const issueCycles = (inner.fma + inner.sharedLoads + inner.otherInstr) / 4;
  const stepCycles = Math.max(fmaCycles, issueCycles, inner.sharedWavefronts);
  const stageCycles =
    staging.loadInstr / 4 +
    staging.barriers * BARRIER_CYCLES +
    (staging.doubleBuffered ? 0 : EXPOSED_LOAD_CYCLES);
  const busy = staging.innerSteps * fmaCycles;
  const total = staging.innerSteps * stepCycles + stageCycles;
  const eff = (PRACTICAL_CEILING * busy) / total;
  return clamp(eff, 0.005, 0.95);
}

/**
 * Shared-memory wavefronts for one warp-wide load: the most distinct 4-byte-bank rows any bank
 * must serve, for the word addresses the warp's lanes read (equal addresses broadcast). A vector
 * load of `width` words is served in `width` phases (4 phases of 8 lanes for 128-bit loads), each
 * at least one wavefront, unless every lane reads the same address.
 */
export function wavefronts(wordAddresses: readonly number[], width: 1 | 2 | 4 = 1): number {
  const phases = width;
  const perPhase = Math.ceil(wordAddresses.length / phases);
  let total = 0;
  for (let p = 0; p < phases; p++) {
    const lanes = wordAddresses.slice(p * perPhase, (p + 1) * perPhase);
    if (lanes.length === 0) continue;
    const perBank = new Map<number, Set<number>>();
    for (const a of lanes) {
      for (let j = 0; j < width; j++) {
        const word = a + j;
        const bank = ((word % 32) + 32) % 32;
        const rows = perBank.get(bank) ?? new Set<number>();
        rows.add(Math.floor(word / 32));
        perBank.set(bank, rows);
      }
    }
    let worst = 1;
    for (const rows of perBank.values()) worst = Math.max(worst, rows.size);
    total += worst;
  }
  // Broadcast-only loads (every lane on one address) still cost one wavefront, not `width`.
  const distinct = new Set(wordAddresses).size;
  return distinct === 1 ? 1 : total;
}

/** How much of an unrolled-by-`factor` loop is loop overhead (compare, branch, increments). */
export function loopOverhead(factor: number, perIteration = 2): number {
  return perIteration / Math.max(1, factor);
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
