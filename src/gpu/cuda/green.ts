/**
 * Green contexts (CUDA >= 12.4): contexts confined to a group of SMs. The driver partitions SMs
 * in granules (8 SMs, at least 8, on sm_90), so a share is rounded DOWN to whole granules: four
 * 25% slices of an H100 get 32 SMs each and fit side by side (rounding up, 33 -> 40, would not).
 * The SMs are carved from a per-process pool, so that green slices of one process never overlap;
 * the granted count is what the slice reports.
 */
import { SlicetuneError } from '../../util/errors.js';
import { type CudaDriver, check, deviceSmResource, type Handle, outHandle, smCountOf } from './driver.js';
import { CU_DEV_RESOURCE_BYTES, CU_GREEN_CTX_DEFAULT_STREAM, CU_STREAM_NON_BLOCKING } from './prototypes.js';

type GreenApi = NonNullable<CudaDriver['green']>;

/** CUdevSmResource.minSmPartitionSize / smCoscheduledAlignment (filled by 12.8+ drivers). */
const MIN_PARTITION_OFFSET = 100;
const ALIGNMENT_OFFSET = 104;

export interface SmGranularity {
  minSms: number;
  alignment: number;
}

/** Partition granularity: read from the resource, else the documented minimum per architecture. */
export function smGranularity(resource: Buffer, ccMajor: number): SmGranularity {
  const minSms = resource.readUInt32LE(MIN_PARTITION_OFFSET);
  const alignment = resource.readUInt32LE(ALIGNMENT_OFFSET);
  if (minSms > 0 && alignment > 0) return { minSms, alignment };
  if (ccMajor >= 9) return { minSms: 8, alignment: 8 };
  if (ccMajor === 8) return { minSms: 4, alignment: 2 };
  return { minSms: 2, alignment: 2 };
}

/** SMs to ask for `percent`% of `totalSms`: whole granules, rounded down, at least one partition. */
export function greenSmCount(percent: number, totalSms: number, granularity: SmGranularity): number {
  if (percent >= 100) return totalSms;
  const share = (percent / 100) * totalSms;
  const aligned = Math.floor(share / granularity.alignment) * granularity.alignment;
  return Math.min(totalSms, Math.max(granularity.minSms, aligned));
}

/** The device's SMs not yet given to a green slice of this process, as CUdevResource pieces. */
export class GreenSmPool {
  private readonly whole: { resource: Buffer; sms: number };
  private readonly granularity: SmGranularity;
  private pieces: Buffer[];
  private outstanding = 0;

  constructor(
    private readonly green: GreenApi,
    device: number,
    ccMajor: number,
  ) {
    this.whole = deviceSmResource(green, device);
    this.granularity = smGranularity(this.whole.resource, ccMajor);
    this.pieces = [this.whole.resource];
  }

  /** Takes the SMs for `percent`% of the device; throws SLICE_UNAVAILABLE when they are taken. */
  carve(percent: number): Buffer {
    if (this.outstanding === 0) this.pieces = [this.whole.resource];
    const want = greenSmCount(percent, this.whole.sms, this.granularity);
    if (want >= this.whole.sms && this.outstanding === 0) {
      this.pieces = [];
      this.outstanding += 1;
      return this.whole.resource;
    }
    for (const [i, piece] of this.pieces.entries()) {
      if (smCountOf(piece) < want) continue;
      const result = Buffer.alloc(CU_DEV_RESOURCE_BYTES);
      const remaining = Buffer.alloc(CU_DEV_RESOURCE_BYTES);
      const groups = Buffer.alloc(4);
      groups.writeUInt32LE(1, 0);
      const split = this.green.cuDevSmResourceSplitByCount(result, groups, piece, remaining, 0, want);
      check('cuDevSmResourceSplitByCount', split);
      if (groups.readUInt32LE(0) < 1) continue;
      this.pieces.splice(i, 1, ...(smCountOf(remaining) > 0 ? [remaining] : []));
      this.outstanding += 1;
      return result;
    }
    const free = this.pieces.reduce((sum, p) => sum + smCountOf(p), 0);
    throw new SlicetuneError(
      'SLICE_UNAVAILABLE',
      `a green slice of ${percent}% needs ${want} SMs, but green slices of this process already hold ` +
        `${this.whole.sms - free} of ${this.whole.sms} SMs (pieces free: ${this.pieces.map(smCountOf).join(', ') || 'none'})`,
    );
  }

  /** Gives a slice's SMs back (its green context destroyed). */
  release(resource: Buffer): void {
    this.outstanding -= 1;
    this.pieces.push(resource);
  }
}

export interface GreenPartition {
  green: Handle;
  /** The green context as a CUcontext, for cuCtxSetCurrent. */
  ctx: Handle;
  stream: Handle;
  /** SMs granted. */
  sms: number;
}

/** A green context over `resource` (from GreenSmPool.carve), with its own stream. */
export function createGreenContext(green: GreenApi, device: number, resource: Buffer): GreenPartition {
  const desc = outHandle((p) =>
    check('cuDevResourceGenerateDesc', green.cuDevResourceGenerateDesc(p, resource, 1)),
  );
  const greenCtx = outHandle((p) =>
    check('cuGreenCtxCreate', green.cuGreenCtxCreate(p, desc, device, CU_GREEN_CTX_DEFAULT_STREAM)),
  );
  try {
    const ctx = outHandle((p) => check('cuCtxFromGreenCtx', green.cuCtxFromGreenCtx(p, greenCtx)));
    // Green-context streams must be non-blocking (cuda.h).
    const stream = outHandle((p) =>
      check('cuGreenCtxStreamCreate', green.cuGreenCtxStreamCreate(p, greenCtx, CU_STREAM_NON_BLOCKING, 0)),
    );
    return { green: greenCtx, ctx, stream, sms: smCountOf(resource) };
  } catch (e) {
    try {
      check('cuGreenCtxDestroy', green.cuGreenCtxDestroy(greenCtx));
    } catch {
      // the first error is the one worth reporting
    }
    throw e;
  }
}

export function destroyGreenContext(driver: CudaDriver, green: Handle): void {
  if (driver.green) check('cuGreenCtxDestroy', driver.green.cuGreenCtxDestroy(green));
}

/** Why green slices cannot be made with this driver, or undefined when they can. */
export function greenUnavailable(driver: CudaDriver): string | undefined {
  if (driver.green) return undefined;
  return `green contexts need a CUDA 12.4+ driver; ${driver.path} (CUDA ${driver.version}) lacks cuGreenCtxCreate`;
}
