/** Which runner processes a slice pool needs, and which slices each one hosts. */
import type { BackendOptions } from '../gpu/backend.js';
import type { BackendKind, SliceMechanism, SliceSpec } from '../gpu/types.js';
import { SlicetuneError } from '../util/errors.js';
import type { RunnerConfig } from './protocol.js';

export interface PoolConfig {
  backend: BackendKind;
  mechanism: SliceMechanism;
  /** Number of slices (measurement servers); `exclusive` always has one. */
  slices: number;
  /** Share of the GPU per slice, percent (ignored for exclusive and timeslice: whole GPU). */
  percent: number;
  backendOptions?: BackendOptions;
  /** Extra environment for every runner process (MPS pipe directory and thread percentage). */
  env?: Record<string, string>;
}

/** Which runner processes a pool needs, and which slices each one hosts. */
export function runnerLayout(config: PoolConfig): RunnerConfig[] {
  const n = config.mechanism === 'exclusive' ? 1 : config.slices;
  if (!Number.isInteger(n) || n < 1) throw new SlicetuneError('BAD_OPTION', `slices must be >= 1, got ${n}`);
  const percent = config.mechanism === 'exclusive' || config.mechanism === 'timeslice' ? 100 : config.percent;
  if (!(percent > 0 && percent <= 100)) {
    throw new SlicetuneError('BAD_OPTION', `share must be in (0, 100] percent, got ${config.percent}`);
  }
  const spec: SliceSpec = { mechanism: config.mechanism, percent };
  const backendOptions = { ...config.backendOptions, coRunningSlices: n };
  const one = (slices: SliceSpec[]): RunnerConfig => ({ backend: config.backend, slices, backendOptions });
  // Green contexts share SMs only inside one process: all green slices live in one runner.
  if (config.mechanism === 'green') return [one(Array.from({ length: n }, () => spec))];
  return Array.from({ length: n }, () => one([spec]));
}
