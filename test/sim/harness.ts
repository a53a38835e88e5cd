/** Sets up a kernel on a simulated slice the way a runner does: compile, load, buffers, inputs. */
import type { DeviceBuffer, LaunchArg, LoadedKernel, SliceContext } from '../../src/gpu/backend.js';
import { createSimCompiler } from '../../src/gpu/sim/index.js';
import type { KernelSource } from '../../src/gpu/types.js';
import { Rng } from '../../src/util/rng.js';

export interface Prepared {
  loaded: LoadedKernel;
  args: LaunchArg[];
  buffers: DeviceBuffer[];
  output: DeviceBuffer;
}

const compiler = createSimCompiler('sm_90');

export function randomData(elements: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: elements }, () => rng.next() * 2 - 1);
}

/** Loads `kernel` on `ctx` with fresh buffers; inputs hold seeded random data. */
export function prepare(ctx: SliceContext, kernel: KernelSource, inputSeed = 7): Prepared {
  const loaded = ctx.load(compiler.compile(kernel), kernel);
  const buffers: DeviceBuffer[] = [];
  let output: DeviceBuffer | undefined;
  const args = kernel.args.map((arg, i): LaunchArg => {
    if (arg.kind === 'scalar') return arg.ctype === 'int' ? { int: arg.value } : { float: arg.value };
    const buffer = ctx.alloc(arg.elements * 4);
    buffers.push(buffer);
    if (arg.role === 'input') ctx.upload(buffer, randomData(arg.elements, inputSeed + i));
    else output = buffer;
    return buffer;
  });
  if (!output) throw new Error('test kernel has no output');
  return { loaded, args, buffers, output };
}

/** Poisons the output, runs once, and returns what the kernel left there. */
export async function runOnce(ctx: SliceContext, kernel: KernelSource, p: Prepared): Promise<Float32Array> {
  ctx.fill(p.output, 0xff);
  await ctx.run(p.loaded, kernel, p.args, 1_000);
  return ctx.download(p.output);
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
