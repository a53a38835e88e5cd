/**
 * The real GPU: a GpuBackend over the CUDA driver API. `exclusive`, `timeslice` and `mps` slices
 * share the device's primary context (what separates them is the process and its environment);
 * `green` slices each get a green context of their own SMs. Every slice has its own stream.
 */
import { SlicetuneError } from '../../util/errors.js';
import type { BackendOptions, GpuBackend, SliceContext } from '../backend.js';
import { DEVICE_SMS_ENV, MPS_PERCENT_ENV } from '../mps.js';
import type { DeviceInfo, Slice, SliceMechanism, SliceSpec } from '../types.js';
import { deviceCount, deviceHandle, queryDevice } from './device-info.js';
import { type CudaDriver, check, cudaDriver, type Handle, outHandle } from './driver.js';
import { createGreenStream, greenUnavailable } from './green.js';
import { GreenContexts } from './green-contexts.js';
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

class CudaBackend implements GpuBackend {
  private primary: Handle | undefined;
  private greenContexts: GreenContexts | undefined;
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
      totalSms: mechanism === 'mps' ? mpsDeviceSms(this.info.sms) : this.info.sms,
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
    for (const e of this.greenContexts?.destroyParked() ?? []) first ??= e;
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

  /** A new stream in a green context of the slice's own SMs. */
  private greenSlice(percent: number): { handles: CarvedHandles; release: () => void } {
    const why = greenUnavailable(this.driver);
    if (why || !this.driver.green) throw new SlicetuneError('SLICE_UNAVAILABLE', why ?? 'no green contexts');
    const green = this.driver.green;
    this.greenContexts ??= new GreenContexts(green, this.dev, this.info.computeCapability.major);
    const { context, release } = this.greenContexts.acquire(percent);
    try {
      const stream = createGreenStream(green, context);
      return { handles: { ctx: context.ctx, stream, sms: context.sms }, release };
    } catch (e) {
      release();
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

/** Under MPS the device shows only this client's SMs; the parent passes the whole count. */
function mpsDeviceSms(visibleSms: number): number {
  const passed = Number(process.env[DEVICE_SMS_ENV]);
  return Number.isInteger(passed) && passed >= visibleSms ? passed : visibleSms;
}
