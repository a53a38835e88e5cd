/**
 * Green contexts (CUDA >= 12.4): contexts confined to a set of SMs (carved by green-pool.ts),
 * each slice with its own non-blocking stream. The SMs a slice reports are read back from the
 * context.
 */
import { type CudaDriver, check, type Handle, outHandle, smCountOf } from './driver.js';
import type { SmCarve } from './green-pool.js';
import {
  CU_DEV_RESOURCE_BYTES,
  CU_DEV_RESOURCE_TYPE_SM,
  CU_GREEN_CTX_DEFAULT_STREAM,
  CU_STREAM_NON_BLOCKING,
} from './prototypes.js';

type GreenApi = NonNullable<CudaDriver['green']>;

/** A green context: its handle, the same as a CUcontext, and the SMs it really got. */
export interface GreenContext {
  green: Handle;
  ctx: Handle;
  sms: number;
}

/** A green context over carved SMs (merged into one descriptor). */
export function createGreenContext(green: GreenApi, device: number, carve: SmCarve): GreenContext {
  const desc = outHandle((p) =>
    check('cuDevResourceGenerateDesc', green.cuDevResourceGenerateDesc(p, carve.resources, carve.count)),
  );
  const greenCtx = outHandle((p) =>
    check('cuGreenCtxCreate', green.cuGreenCtxCreate(p, desc, device, CU_GREEN_CTX_DEFAULT_STREAM)),
  );
  try {
    const ctx = outHandle((p) => check('cuCtxFromGreenCtx', green.cuCtxFromGreenCtx(p, greenCtx)));
    const granted = Buffer.alloc(CU_DEV_RESOURCE_BYTES);
    const readBack = green.cuGreenCtxGetDevResource(greenCtx, granted, CU_DEV_RESOURCE_TYPE_SM);
    check('cuGreenCtxGetDevResource', readBack);
    return { green: greenCtx, ctx, sms: smCountOf(granted) };
  } catch (e) {
    try {
      check('cuGreenCtxDestroy', green.cuGreenCtxDestroy(greenCtx));
    } catch {
      // the first error is the one worth reporting
    }
    throw e;
  }
}

/** A stream of the green context; green-context streams must be non-blocking (cuda.h). */
export function createGreenStream(green: GreenApi, context: GreenContext): Handle {
  return outHandle((p) =>
    check(
      'cuGreenCtxStreamCreate',
      green.cuGreenCtxStreamCreate(p, context.green, CU_STREAM_NON_BLOCKING, 0),
    ),
  );
}

export function destroyGreenContext(green: GreenApi, context: GreenContext): void {
  check('cuGreenCtxDestroy', green.cuGreenCtxDestroy(context.green));
}

/** Why green slices cannot be made with this driver, or undefined when they can. */
export function greenUnavailable(driver: CudaDriver): string | undefined {
  if (driver.green) return undefined;
  return `green contexts need a CUDA 12.4+ driver; ${driver.path} (CUDA ${driver.version}) lacks cuGreenCtxCreate`;
}
