/**
 * The real GPU: a GpuBackend over the CUDA driver API. `exclusive`, `timeslice` and `mps` slices
 * share the device's primary context (what separates them is the process and its environment);
 * `green` slices each get a green context of their own SMs.
 */
import { SlicetuneError } from '../../util/errors.js';
import type { BackendOptions, GpuBackend, SliceContext } from '../backend.js';
import type { DeviceInfo, Slice, SliceMechanism, SliceSpec } from '../types.js';
import { deviceCount, deviceHandle, queryDevice } from './device-info.js';
import { type CudaDriver, check, cudaDriver, type Handle, outHandle } from './driver.js';
import { createGreenContext, GreenSmPool, greenUnavailable } from './green.js';
import { nvrtcVersion } from './nvrtc.js';
import { CU_STREAM_NON_BLOCKING } from './prototypes.js';
import { CudaSlice, type SliceHandles } from './slice.js';

/** Opens device `options.device` (default 0). Loads libcuda and NVRTC's version query only. */
export function createCudaBackend(options: BackendOptions = {}): GpuBackend {
  const driver = cudaDriver();
  const ordinal = options.device ?? 0;
  const count = deviceCount(driver);
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= count) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `device ${ordinal} does not exist: this machine has ${count} CUDA device(s)`,
    );
  }
  let cudaVersion = 'unknown';
  try {
    cudaVersion = nvrtcVersion();
  } catch {
    // NVRTC is needed to compile, not to run: the backend works without it.
  }
  return new CudaBackend(driver, deviceHandle(driver, ordinal), queryDevice(driver, ordinal, cudaVersion));
}

type CarvedHandles = SliceHandles & { sms?: number };

/** MPS clients learn their share from this variable; the daemon enforces it. */
export const MPS_PERCENT_ENV = 'CUDA_MPS_ACTIVE_THREAD_PERCENTAGE';

class CudaBackend implements GpuBackend {
  private primary: Handle | undefined;
  private greenPool: GreenSmPool | undefined;
  private readonly open = new Set<CudaSlice>();
  private opened = 0;
  private closed = false;

  constructor(
    private readonly driver: CudaDriver,
    private readonly dev: number,
    readonly info: DeviceInfo,
  ) {}

  openSlice(spec: SliceSpec): SliceContext {
    if (this.closed) throw new SlicetuneError('INTERNAL', `the CUDA backend of ${this.info.name} is closed`);
    const { mechanism, percent } = spec;
    if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
      throw new SlicetuneError('BAD_OPTION', `slice percent must be in (0, 100], got ${percent}`);
    }
    const { handles, release } =
      mechanism === 'green'
        ? this.greenSlice(percent)
        : { handles: this.primarySlice(mechanism, percent), release: undefined };
    this.opened += 1;
    const slice: Slice = {
      id: `cuda${this.info.index}-${mechanism}${percent}-${this.opened}`,
      mechanism,
      requestedPercent: percent,
      sms: handles.sms ?? this.info.sms,
      totalSms: this.info.sms,
      deviceName: this.info.name,
      simulated: false,
    };
    const context = new CudaSlice(this.driver, slice, this.info, handles, (s) => {
      this.open.delete(s);
      release?.();
    });
    this.open.add(context);
    return context;
  }

  close(): void {
    if (this.closed) return;
    let first: unknown;
    for (const slice of [...this.open]) {
      try {
        slice.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (this.primary !== undefined) {
      try {
        check('cuDevicePrimaryCtxRelease_v2', this.driver.cu.cuDevicePrimaryCtxRelease_v2(this.dev));
      } catch (e) {
        first ??= e;
      }
      this.primary = undefined;
    }
    this.closed = true;
    if (first !== undefined) throw first;
  }

  /** A green context of its own SMs, carved from this process's pool. */
  private greenSlice(percent: number): { handles: CarvedHandles; release: () => void } {
    const why = greenUnavailable(this.driver);
    if (why || !this.driver.green) throw new SlicetuneError('SLICE_UNAVAILABLE', why ?? 'no green contexts');
    const green = this.driver.green;
    this.greenPool ??= new GreenSmPool(green, this.dev, this.info.computeCapability.major);
    const pool = this.greenPool;
    const resource = pool.carve(percent);
    try {
      const part = createGreenContext(green, this.dev, resource);
      const handles = { ctx: part.ctx, stream: part.stream, green: part.green, sms: part.sms };
      return { handles, release: () => pool.release(resource) };
    } catch (e) {
      pool.release(resource);
      throw e;
    }
  }

  /**
   * A new non-blocking stream in the primary context (retained on first use). Under MPS the
   * SM-count attribute, and so info.sms, already reports the client's limit.
   */
  private primarySlice(mechanism: SliceMechanism, percent: number): CarvedHandles {
    if (mechanism === 'mps') checkMpsEnvironment(percent);
    const { cu } = this.driver;
    if (this.primary === undefined) {
      this.primary = outHandle((p) =>
        check('cuDevicePrimaryCtxRetain', cu.cuDevicePrimaryCtxRetain(p, this.dev)),
      );
    }
    const ctx = this.primary;
    check('cuCtxSetCurrent', cu.cuCtxSetCurrent(ctx));
    const stream = outHandle((p) => check('cuStreamCreate', cu.cuStreamCreate(p, CU_STREAM_NON_BLOCKING)));
    return { ctx, stream };
  }
}

/** An `mps` slice only makes sense in a process started under MPS with the same share. */
function checkMpsEnvironment(percent: number): void {
  const value = process.env[MPS_PERCENT_ENV];
  if (value === undefined || value === '') {
    throw new SlicetuneError(
      'SLICE_UNAVAILABLE',
      `an mps slice needs a process started under an MPS daemon with ${MPS_PERCENT_ENV} set ` +
        `(see mpsEnv in src/gpu/mps.ts); it is not set in this process`,
    );
  }
  if (Number(value) !== percent) {
    throw new SlicetuneError(
      'SLICE_UNAVAILABLE',
      `this process runs under MPS with ${MPS_PERCENT_ENV}=${value}, but the slice asks for ${percent}%`,
    );
  }
}
