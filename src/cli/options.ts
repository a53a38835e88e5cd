/**
 * Options shared by several commands, declared once: the flag, its parser and its
 * validation. A bad value is a SlicetuneError naming the option.
 */
import { Option } from 'commander';
import type { DeviceChoice } from '../gpu/device.js';
import { SLICE_MECHANISMS, type SliceMechanism } from '../gpu/types.js';
import { MEASURE_PROTOCOL_NAMES } from '../measure/types.js';
import { SlicetuneError } from '../util/errors.js';

export const deviceOption = () =>
  new Option('--device <kind>', 'auto: the CUDA GPU if there is one, else the simulated GPU; cuda; sim')
    .choices(['auto', 'cuda', 'sim'])
    .default('auto');

export const jsonOption = () => new Option('--json', 'print results as JSON');

export const mechanismOption = (fallback: SliceMechanism) =>
  new Option('--sharing <mechanism>', 'how the GPU is sliced')
    .choices([...SLICE_MECHANISMS])
    .default(fallback);

export function parseShare(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100) {
    throw new SlicetuneError('BAD_OPTION', `--share must be a percentage in (0, 100], got '${value}'`);
  }
  return n;
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new SlicetuneError('BAD_OPTION', `${name} must be a positive integer, got '${value}'`);
    }
    return n;
  };
}

export type { DeviceChoice };

/** The record store of commands that tune or read tunings; `$SLICETUNE_DB` overrides the default. */
export const dbOption = () =>
  new Option('--db <file>', 'tuning record store').default(process.env.SLICETUNE_DB ?? 'slicetune.db');

/** Zoo models' input sizes (ONNX files carry their own). */
export const inputSizeOption = () =>
  new Option('--input-size <n>', 'image side for zoo CNNs (default 224)').argParser(
    parsePositiveInt('--input-size'),
  );

export const seqLenOption = () =>
  new Option('--seq-len <n>', 'sequence length for bert_encoder (default 128)').argParser(
    parsePositiveInt('--seq-len'),
  );

/** A wall-time budget for tuning: the batches in flight finish and are recorded, then it stops. */
export const timeLimitOption = (what: string) =>
  new Option('--time-limit <seconds>', `stop tuning ${what} after this many seconds`).argParser(
    parsePositiveInt('--time-limit'),
  );

/** How each config is timed: `quick` (slicetune's) or `autotvm` (TVM tutorials' min_repeat_ms=150). */
export const measureOption = () =>
  new Option(
    '--measure <protocol>',
    'how configs are timed: quick (25 launches) or autotvm (number 20, repeat 3, min_repeat_ms 150)',
  )
    .choices(MEASURE_PROTOCOL_NAMES)
    .default('quick');
