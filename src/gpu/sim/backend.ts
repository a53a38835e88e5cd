/**
 * The simulated GPU as a GpuBackend: one simulated process holding any number of slices at once.
 * MPS slices need no daemon here; the model (model.ts) decides what each slice gets.
 */
import { SlicetuneError } from '../../util/errors.js';
import type { BackendOptions, GpuBackend, SliceContext } from '../backend.js';
import { SLICE_MECHANISMS, type SliceSpec } from '../types.js';
import { simCudaError } from './cuda-codes.js';
import { MemoryLedger } from './memory.js';
import { SIM_DEVICE_INFO } from './model.js';
import { type SimProcess, SimSliceContext } from './slice.js';

function checkOptions(options: BackendOptions): Required<Omit<BackendOptions, 'device'>> {
  const bad = (option: string, value: unknown, want: string) =>
    new SlicetuneError('BAD_OPTION', `simulated GPU: option ${option} must be ${want}, got ${String(value)}`);
  if ((options.device ?? 0) !== 0)
    throw new SlicetuneError('NOT_FOUND', `simulated GPU has only device 0, not ${options.device}`);
  const coRunningSlices = options.coRunningSlices ?? 1;
  if (!Number.isInteger(coRunningSlices) || coRunningSlices < 1)
    throw bad('coRunningSlices', coRunningSlices, 'an integer >= 1');
  const timeScale = options.timeScale ?? 1;
  if (!Number.isFinite(timeScale) || timeScale < 0) throw bad('timeScale', timeScale, 'a number >= 0');
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw bad('seed', seed, 'a finite number');
  return { coRunningSlices, timeScale, seed };
}

export function createSimBackend(options: BackendOptions = {}): GpuBackend {
  const { coRunningSlices, timeScale, seed } = checkOptions(options);
  const process: SimProcess = {
    device: SIM_DEVICE_INFO,
    ledger: new MemoryLedger(SIM_DEVICE_INFO.memoryBytes),
    seed,
    timeScale,
    coRunningSlices,
    openSlices: new Set(),
    poison: null,
  };
  let opened = 0;
  let closed = false;
  return {
    info: SIM_DEVICE_INFO,
    openSlice(spec: SliceSpec): SliceContext {
      if (closed)
        throw simCudaError('cuCtxCreate', 'CUDA_ERROR_INVALID_CONTEXT', 'simulated backend is closed');
      if (process.poison) throw process.poison;
      if (!SLICE_MECHANISMS.includes(spec.mechanism))
        throw new SlicetuneError('BAD_OPTION', `unknown slice mechanism "${String(spec.mechanism)}"`);
      return new SimSliceContext(process, spec, opened++);
    },
    close(): void {
      closed = true;
      for (const slice of [...process.openSlices]) slice.close();
    },
  };
}
