/**
 * The SMs that green slices of this process take, so that they never overlap.
 *
 * What the driver allows (measured on an H100, CUDA 13.0, and in cuda.h): a split result cannot
 * be split again (INVALID_RESOURCE_CONFIGURATION), but results of ONE split can be merged into
 * one descriptor. By default SMs split in co-scheduled granules of 8, and only 15 of them (120
 * SMs) fit an H100's 132; with CU_DEV_SM_RESOURCE_SPLIT_IGNORE_SM_COSCHEDULING they split into
 * 66 granules of 2 (losing only large thread-block clusters, which slicetune's kernels do not use).
 * So the device is split ONCE into the finest granules, and each slice merges as many as its
 * share needs, rounded down: four 25% slices get 32 SMs each, side by side.
 */
import { SlicetuneError } from '../../util/errors.js';
import { type CudaDriver, check, deviceSmResource, smCountOf } from './driver.js';
import { CU_DEV_RESOURCE_BYTES } from './prototypes.js';

type GreenApi = NonNullable<CudaDriver['green']>;

const CU_DEV_SM_RESOURCE_SPLIT_IGNORE_SM_COSCHEDULING = 0x1;
/** Coarse fallback when the fine split fails: the documented minimum per architecture. */
const COSCHEDULED_MIN_SMS = (ccMajor: number) => (ccMajor >= 9 ? 8 : ccMajor === 8 ? 4 : 2);

/** SMs to ask for `percent`% of `totalSms`: whole granules, rounded down, at least one. */
export function greenSmCount(percent: number, totalSms: number, granule: number): number {
  if (percent >= 100) return totalSms;
  const granules = Math.floor(((percent / 100) * totalSms) / granule);
  return Math.min(totalSms, Math.max(1, granules) * granule);
}

/** SMs taken from the pool: CUdevResource structs end to end, ready for cuDevResourceGenerateDesc. */
export interface SmCarve {
  resources: Buffer;
  count: number;
  sms: number;
  granules: readonly number[];
}

export class GreenSmPool {
  private readonly whole: { resource: Buffer; sms: number };
  private granules: Buffer[] | undefined;
  private readonly held = new Set<number>();

  constructor(
    private readonly green: GreenApi,
    device: number,
    private readonly ccMajor: number,
  ) {
    this.whole = deviceSmResource(green, device);
  }

  /** Takes the SMs for `percent`% of the device; throws SLICE_UNAVAILABLE when they are held. */
  carve(percent: number): SmCarve {
    const granules = this.split();
    const granule = smCountOf(granules[0] as Buffer);
    const free = granules.map((_, i) => i).filter((i) => !this.held.has(i));
    if (percent >= 100 && free.length === granules.length) {
      // The whole device, including any SMs the split left over.
      for (const i of free) this.held.add(i);
      return { resources: this.whole.resource, count: 1, sms: this.whole.sms, granules: free };
    }
    const need = greenSmCount(percent, granules.length * granule, granule) / granule;
    if (free.length < need) {
      throw new SlicetuneError(
        'SLICE_UNAVAILABLE',
        `a green slice of ${percent}% needs ${need * granule} SMs; green slices of this process already ` +
          `hold ${this.held.size * granule} of the ${granules.length * granule} SMs that split into ${granule}-SM granules`,
      );
    }
    const taken = free.slice(0, need);
    for (const i of taken) this.held.add(i);
    const parts = taken.map((i) => granules[i] as Buffer);
    const sms = parts.reduce((sum, part) => sum + smCountOf(part), 0);
    return { resources: Buffer.concat(parts), count: parts.length, sms, granules: taken };
  }

  /** Gives a slice's granules back (its green context destroyed). */
  release(carve: SmCarve): void {
    for (const i of carve.granules) this.held.delete(i);
  }

  /** Splits the device into its finest granules, once. */
  private split(): Buffer[] {
    if (this.granules) return this.granules;
    let firstError: unknown;
    const attempts = [
      { flags: CU_DEV_SM_RESOURCE_SPLIT_IGNORE_SM_COSCHEDULING, minCount: 1 },
      { flags: 0, minCount: COSCHEDULED_MIN_SMS(this.ccMajor) },
    ];
    for (const { flags, minCount } of attempts) {
      try {
        const groups = this.splitWhole(flags, minCount);
        if (groups.length > 0) {
          this.granules = groups;
          return groups;
        }
      } catch (e) {
        firstError ??= e;
      }
    }
    if (firstError) throw firstError;
    throw new SlicetuneError('SLICE_UNAVAILABLE', `the driver split ${this.whole.sms} SMs into no groups`);
  }

  private splitWhole(flags: number, minCount: number): Buffer[] {
    const most = this.whole.sms;
    const result = Buffer.alloc(most * CU_DEV_RESOURCE_BYTES);
    const groups = Buffer.alloc(4);
    groups.writeUInt32LE(most, 0);
    const remaining = Buffer.alloc(CU_DEV_RESOURCE_BYTES);
    const split = this.green.cuDevSmResourceSplitByCount(
      result,
      groups,
      this.whole.resource,
      remaining,
      flags,
      minCount,
    );
    check('cuDevSmResourceSplitByCount', split);
    return Array.from({ length: Math.min(groups.readUInt32LE(0), most) }, (_, i) =>
      result.subarray(i * CU_DEV_RESOURCE_BYTES, (i + 1) * CU_DEV_RESOURCE_BYTES),
    );
  }
}
