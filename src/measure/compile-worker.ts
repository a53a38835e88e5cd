/**
 * A compile worker: NVRTC (or the simulated compiler) only. It never opens the GPU, so
 * compiling scales with CPU cores and never disturbs a measurement (tinygrad's rule). It runs
 * as a worker thread or, where the compiler serializes threads of one process (NVRTC on the
 * H100 host: 4 threads 46 kernels/s, 16 threads 43), as a child process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Compiler } from '../gpu/backend.js';
import { CompileError } from '../gpu/errors.js';
import { createSimCompiler } from '../gpu/sim/index.js';
import { hashOf } from '../util/hash.js';
import { CompileTracer } from './compile-trace.js';
import {
  COMPILE_CONFIG_ENV,
  type CompileReply,
  type CompileRequest,
  type CompileWorkerConfig,
} from './protocol.js';

const config = (
  parentPort ? workerData : JSON.parse(process.env[COMPILE_CONFIG_ENV] ?? 'null')
) as CompileWorkerConfig;
// NVRTC (and koffi, a native addon) is loaded only where it is used: a simulated worker thread
// that loads koffi and is terminated mid-load aborts the whole process.
const compilerReady: Promise<Compiler> =
  config.backend === 'cuda'
    ? import('../gpu/cuda/nvrtc.js').then((m) => m.createNvrtcCompiler(config.arch))
    : Promise.resolve(createSimCompiler(config.arch));
const tracer = new CompileTracer();

async function compile(req: CompileRequest): Promise<CompileReply> {
  const start = performance.now();
  try {
    const compiler = await compilerReady;
    return {
      id: req.id,
      ok: true,
      ...tracer.trace(
        () => hashOf(req.kernel.code),
        () => compiler.compile(req.kernel),
      ),
    };
  } catch (e) {
    const log = e instanceof CompileError ? e.log : '';
    const message = e instanceof Error ? e.message : String(e);
    return { id: req.id, ok: false, message, log, compileMs: performance.now() - start };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', async (req: CompileRequest) => port.postMessage(await compile(req)));
} else {
  process.on('message', async (req: CompileRequest) => process.send?.(await compile(req)));
  process.on('disconnect', () => process.exit(0));
}
