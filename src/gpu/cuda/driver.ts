/**
 * The CUDA driver API, bound with koffi and loaded lazily on first use. Every call goes through
 * `check`, which turns a failing CUresult into a CudaError carrying the code's name and the
 * driver's description. Handles (CUcontext, CUmodule, ...) are the pointers koffi gives: bigint.
 */
import type { LibraryHandle } from 'koffi';
import { SlicetuneError } from '../../util/errors.js';
import { CudaError } from '../errors.js';
import type { Dim3 } from '../types.js';
import { locateLibrary } from './locate.js';
import {
  CORE_PROTOTYPES,
  CU_DEV_RESOURCE_BYTES,
  CU_DEV_RESOURCE_SM_COUNT_OFFSET,
  CU_DEV_RESOURCE_TYPE_SM,
  ELAPSED_TIME_PROTOTYPES,
  GRAPH_PROTOTYPES,
  GREEN_PROTOTYPES,
  registerDriverTypes,
} from './prototypes.js';
import { CUDA_ERROR_NOT_READY, CUDA_SUCCESS, cuResultName } from './results.js';

export type Handle = bigint;
type Native = (...args: unknown[]) => unknown;
type Bound<T> = { [K in keyof T]: Native };

export interface CudaDriver {
  /** Where libcuda was loaded from. */
  readonly path: string;
  /** cuDriverGetVersion, e.g. 13000. */
  readonly version: number;
  /** Raw bindings; call them through `check`. */
  readonly cu: Bound<typeof CORE_PROTOTYPES> & { cuEventElapsedTime: Native };
  /** Green-context bindings, or undefined when this driver lacks them (< 12.4). */
  readonly green: Bound<typeof GREEN_PROTOTYPES> | undefined;
  /** CUDA-graph bindings (stream capture), or undefined when this driver lacks them (< 11.4). */
  readonly graph: Bound<typeof GRAPH_PROTOTYPES> | undefined;
}

let loaded: CudaDriver | undefined;
let driverForErrors: CudaDriver | undefined;

/** Loads libcuda, binds it and runs cuInit(0); cached after the first success. */
export function cudaDriver(): CudaDriver {
  if (loaded) return loaded;
  const { lib, path } = locateLibrary('cuda');
  registerDriverTypes();
  const cu = bindAll(lib, CORE_PROTOTYPES) as CudaDriver['cu'];
  cu.cuEventElapsedTime = bindFirst(lib, ELAPSED_TIME_PROTOTYPES);
  const draft: CudaDriver = {
    path,
    version: 0,
    cu,
    green: bindOptional(lib, GREEN_PROTOTYPES),
    graph: bindOptional(lib, GRAPH_PROTOTYPES),
  };
  driverForErrors = draft;
  check('cuInit', cu.cuInit(0));
  const version = outInt((p) => check('cuDriverGetVersion', cu.cuDriverGetVersion(p)));
  loaded = { ...draft, version };
  return loaded;
}

/** The one check every driver call goes through: non-zero CUresult -> CudaError. */
export function check(call: string, result: unknown): void {
  const code = result as number;
  if (code === CUDA_SUCCESS) return;
  throw cudaErrorFor(call, code);
}

function cudaErrorFor(call: string, code: number): CudaError {
  const cu = driverForErrors?.cu;
  const name = cu ? driverString(cu.cuGetErrorName, code) : undefined;
  const text = cu ? driverString(cu.cuGetErrorString, code) : undefined;
  return new CudaError(call, code, name ?? cuResultName(code), text ?? 'no description from the driver');
}

function driverString(fn: Native, code: number): string | undefined {
  try {
    const out: (string | null)[] = [null];
    return fn(code, out) === CUDA_SUCCESS && out[0] ? out[0] : undefined;
  } catch {
    return undefined;
  }
}

/** cuEventQuery: true when the event completed, false while the work is still running. */
export function eventDone(cu: CudaDriver['cu'], event: Handle): boolean {
  const result = cu.cuEventQuery(event) as number;
  if (result === CUDA_ERROR_NOT_READY) return false;
  check('cuEventQuery', result);
  return true;
}

export function launchKernel(
  cu: CudaDriver['cu'],
  fn: Handle,
  grid: Dim3,
  block: Dim3,
  sharedBytes: number,
  stream: Handle,
  params: readonly Buffer[],
): void {
  const [gx, gy, gz] = grid;
  const [bx, by, bz] = block;
  const kernelParams = params.length > 0 ? [...params] : null;
  check(
    'cuLaunchKernel',
    cu.cuLaunchKernel(fn, gx, gy, gz, bx, by, bz, sharedBytes, stream, kernelParams, null),
  );
}

/** The SMs of the device as a CUdevResource, and its SM count. */
export function deviceSmResource(
  green: NonNullable<CudaDriver['green']>,
  device: number,
): { resource: Buffer; sms: number } {
  const resource = Buffer.alloc(CU_DEV_RESOURCE_BYTES);
  check('cuDeviceGetDevResource', green.cuDeviceGetDevResource(device, resource, CU_DEV_RESOURCE_TYPE_SM));
  return { resource, sms: smCountOf(resource) };
}

export function smCountOf(resource: Buffer): number {
  return resource.readUInt32LE(CU_DEV_RESOURCE_SM_COUNT_OFFSET);
}

// Output parameters are passed as Buffers that the callee fills.

/** Calls `fill` with an 8-byte buffer and returns the handle (pointer) it received. */
export function outHandle(fill: (out: Buffer) => void): Handle {
  const out = Buffer.alloc(8);
  fill(out);
  return out.readBigUInt64LE(0);
}

export function outInt(fill: (out: Buffer) => void): number {
  const out = Buffer.alloc(4);
  fill(out);
  return out.readInt32LE(0);
}

/** For size_t outputs; exact below 2^53 bytes. */
export function outSize(fill: (out: Buffer) => void): number {
  return Number(outHandle(fill));
}

export function outFloat(fill: (out: Buffer) => void): number {
  const out = Buffer.alloc(4);
  fill(out);
  return out.readFloatLE(0);
}

function bindAll<T extends Record<string, string>>(lib: LibraryHandle, protos: T): Bound<T> {
  const bound: Record<string, Native> = {};
  for (const [name, proto] of Object.entries(protos)) bound[name] = lib.func(proto) as Native;
  return bound as Bound<T>;
}

function bindOptional<T extends Record<string, string>>(lib: LibraryHandle, protos: T): Bound<T> | undefined {
  try {
    return bindAll(lib, protos);
  } catch {
    return undefined;
  }
}

function bindFirst(lib: LibraryHandle, protos: readonly string[]): Native {
  for (const proto of protos) {
    try {
      return lib.func(proto) as Native;
    } catch {
      // symbol absent in this driver: try the next prototype
    }
  }
  throw new SlicetuneError('CUDA_ERROR', `this libcuda has none of: ${protos.join('; ')}`);
}
