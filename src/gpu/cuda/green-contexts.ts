/**
 * The green contexts of one process. A closed slice's context is parked and reused by the next
 * slice of the same share, because cuGreenCtxDestroy does not give back about 4 MiB of device
 * memory per context (measured: driver 580.159, CUDA 13.0, H100), which over thousands of
 * configs would be a leak. Parked contexts are destroyed when their SMs are needed for a slice
 * of another share, and when the backend closes.
 */
import { isSlicetuneError } from '../../util/errors.js';
import type { CudaDriver } from './driver.js';
import { createGreenContext, destroyGreenContext, type GreenContext } from './green.js';
import { GreenSmPool, type SmCarve } from './green-pool.js';

type GreenApi = NonNullable<CudaDriver['green']>;

interface Entry {
  percent: number;
  carve: SmCarve;
  context: GreenContext;
}

export class GreenContexts {
  private readonly pool: GreenSmPool;
  private readonly parked: Entry[] = [];

  constructor(
    private readonly green: GreenApi,
    private readonly device: number,
    ccMajor: number,
  ) {
    this.pool = new GreenSmPool(green, device, ccMajor);
  }

  /** A green context for `percent`% of the SMs, and how to give it back when the slice closes. */
  acquire(percent: number): { context: GreenContext; release: () => void } {
    const index = this.parked.findIndex((entry) => entry.percent === percent);
    const entry = index >= 0 ? (this.parked.splice(index, 1)[0] as Entry) : this.create(percent);
    return { context: entry.context, release: () => this.parked.push(entry) };
  }

  /** Destroys the parked contexts (all of them once every slice is closed); returns the errors. */
  destroyParked(): unknown[] {
    const errors: unknown[] = [];
    for (const entry of this.parked.splice(0)) {
      try {
        destroyGreenContext(this.green, entry.context);
      } catch (e) {
        errors.push(e);
      }
      this.pool.release(entry.carve);
    }
    return errors;
  }

  private create(percent: number): Entry {
    let carve: SmCarve;
    try {
      carve = this.pool.carve(percent);
    } catch (e) {
      if (!isSlicetuneError(e, 'SLICE_UNAVAILABLE') || this.parked.length === 0) throw e;
      const [firstError] = this.destroyParked();
      if (firstError) throw firstError;
      carve = this.pool.carve(percent);
    }
    try {
      return { percent, carve, context: createGreenContext(this.green, this.device, carve) };
    } catch (e) {
      this.pool.release(carve);
      throw e;
    }
  }
}
