/**
 * A compile worker: NVRTC (or the simulated compiler) only. It never opens the GPU, so
 * compiling scales with CPU cores and never disturbs a measurement (tinygrad's rule). It runs
 * as a worker thread or, where the compiler serializes threads of one process (NVRTC on the
 * H100 host: 4 threads 46 kernels/s, 16 threads 43), as a child process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCompiler } from '../gpu/device.js';
import { CompileError } from '../gpu/errors.js';
import {
  COMPILE_CONFIG_ENV,
  type CompileReply,
  type CompileRequest,
  type CompileWorkerConfig,
} from './protocol.js';

const config = (
  parentPort ? workerData : JSON.parse(process.env[COMPILE_CONFIG_ENV] ?? 'null')
) as CompileWorkerConfig;
const compiler = openCompiler(config.backend, config.arch);

function compile(req: CompileRequest): CompileReply {
  const start = performance.now();
  try {
    return { id: req.id, ok: true, ...compiler.compile(req.kernel) };
  } catch (e) {
    const log = e instanceof CompileError ? e.log : '';
    const message = e instanceof Error ? e.message : String(e);
    return { id: req.id, ok: false, message, log, compileMs: performance.now() - start };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: CompileRequest) => port.postMessage(compile(req)));
} else {
  process.on('message', (req: CompileRequest) => process.send?.(compile(req)));
  process.on('disconnect', () => process.exit(0));
}
