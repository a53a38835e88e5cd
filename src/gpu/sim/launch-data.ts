/**
 * What a simulated launch does to data. The simulator cannot execute CUDA C, so a launch writes
 * each `output` buffer with a deterministic pseudo-random function of (kernel.computes, the contents
 * of the input buffers, the scalar arguments, the output's position). A reference kernel and any
 * correct kernel of the same workload therefore write identical outputs, and the checker can tell
 * them from planted misbehaviour (KernelModel.simBehavior):
 * - `wrong`: every 61st element (from the first) is off by 0.5 + |value|;
 * - `nowrite`: the outputs keep whatever they held (the checker's poison);
 * - `fault` / `hang`: handled by the slice (no data is written).
 * A buffer smaller than its argument's `elements` is an out-of-bounds access: an illegal address.
 */
import { hashOf } from '../../util/hash.js';
import { Rng } from '../../util/rng.js';
import type { LaunchArg } from '../backend.js';
import type { KernelSource } from '../types.js';
import { simCudaError } from './cuda-codes.js';
import type { MemoryLedger, SimBuffer } from './memory.js';

const WRONG_STRIDE = 61;

interface BoundLaunch {
  /** Hash of everything the kernel reads. */
  inputDigest: string;
  outputs: { buffer: SimBuffer; elements: number; position: number }[];
  /** Set when an argument's buffer is too small: the launch faults. */
  outOfBounds: string | null;
}

/** Matches launch arguments to the kernel's declared arguments (as cuLaunchKernel would not). */
export function bindLaunch(
  source: KernelSource,
  args: readonly LaunchArg[],
  ledger: MemoryLedger,
): BoundLaunch {
  const invalid = (why: string) =>
    simCudaError('cuLaunchKernel', 'CUDA_ERROR_INVALID_VALUE', `kernel "${source.entry}": ${why}`);
  if (args.length !== source.args.length)
    throw invalid(`${args.length} arguments given, ${source.args.length} declared`);
  const readParts: string[] = [source.computes];
  const outputs: BoundLaunch['outputs'] = [];
  let outOfBounds: string | null = null;
  source.args.forEach((decl, position) => {
    const arg = args[position] as LaunchArg;
    if (decl.kind === 'scalar') {
      const value = decl.ctype === 'int' ? (arg as { int?: number }).int : (arg as { float?: number }).float;
      if (typeof value !== 'number') throw invalid(`argument "${decl.name}" must be a ${decl.ctype} scalar`);
      readParts.push(`${decl.name}=${value}`);
      return;
    }
    if ('int' in arg || 'float' in arg) throw invalid(`argument "${decl.name}" must be a buffer`);
    const buffer = ledger.own(arg, 'cuLaunchKernel');
    if (buffer.bytes < decl.elements * 4)
      outOfBounds ??= `argument "${decl.name}" needs ${decl.elements * 4} bytes, its buffer has ${buffer.bytes}`;
    if (decl.role === 'input') readParts.push(`${decl.name}:${buffer.digest(decl.elements)}`);
    else outputs.push({ buffer, elements: decl.elements, position });
  });
  return { inputDigest: hashOf(...readParts), outputs, outOfBounds };
}

/** Writes the outputs of a bound launch, as `source.model.simBehavior` says. */
export function writeOutputs(source: KernelSource, bound: BoundLaunch): void {
  if (source.model.simBehavior === 'nowrite') return;
  const wrong = source.model.simBehavior === 'wrong';
  for (const { buffer, elements, position } of bound.outputs) {
    const seed = Number.parseInt(hashOf('sim-output', bound.inputDigest, String(position)).slice(0, 8), 16);
    const rng = new Rng(seed);
    const data = buffer.data();
    for (let i = 0; i < elements; i++) {
      const value = 2 * rng.next() - 1;
      data[i] = wrong && i % WRONG_STRIDE === 0 ? value + 0.5 + Math.abs(value) : value;
    }
    buffer.touch();
  }
}
