/**
 * Messages between a measurement server's host (the tuning process) and its runner process.
 * A runner process hosts one slice (mps, timeslice, exclusive) or several (green contexts of
 * one process); `slot` says which. Binaries travel as Uint8Array (advanced serialization).
 */
import type { BackendOptions } from '../gpu/backend.js';
import type { BackendKind, DeviceInfo, KernelBinary, KernelSource, Slice, SliceSpec } from '../gpu/types.js';
import type { Tolerance } from './check.js';
import type { MeasureOptions, MeasureResult } from './types.js';

export interface RunnerConfig {
  backend: BackendKind;
  slices: SliceSpec[];
  backendOptions: BackendOptions;
}

/** A kernel and its reference, both compiled. */
export interface RunnerItem {
  id: string;
  kernel: KernelSource;
  binary: KernelBinary;
  reference: KernelSource;
  referenceBinary: KernelBinary;
  tolerance: Tolerance;
}

export type HostMessage =
  | { type: 'measure'; slot: number; item: RunnerItem; options: MeasureOptions }
  | { type: 'mem-info'; requestId: number }
  | { type: 'close' };

export type RunnerMessage =
  | { type: 'ready'; device: DeviceInfo; slices: Slice[]; pid: number }
  | { type: 'startup-error'; code: string; message: string }
  | {
      type: 'result';
      slot: number;
      itemId: string;
      result: MeasureResult;
      runWallMs: number;
      /** The context is unusable (sticky fault, kernel still running): the process exits next. */
      fatal: boolean;
    }
  | { type: 'mem-info'; requestId: number; free: number; total: number }
  /** Heartbeat before each GPU step: the watchdog allows `budgetMs` until the next message. */
  | { type: 'alive'; slot: number; budgetMs: number };

/** Builder <-> compile worker (thread or process). */
export type CompileRequest = { id: number; kernel: KernelSource };
export type CompileReply =
  | { id: number; ok: true; hash: string; arch: string; bytes: Uint8Array; compileMs: number; log: string }
  | { id: number; ok: false; message: string; log: string; compileMs: number };
export interface CompileWorkerConfig {
  backend: BackendKind;
  arch: string;
}
/** A compile worker process reads its config from this variable. */
export const COMPILE_CONFIG_ENV = 'SLICETUNE_COMPILE_CONFIG';
