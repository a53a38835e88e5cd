/**
 * A compile worker thread: NVRTC (or the simulated compiler) only. It never opens the GPU,
 * so compiling scales with CPU cores and never disturbs a measurement (tinygrad's rule).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCompiler } from '../gpu/device.js';
import { CompileError } from '../gpu/errors.js';
import type { BackendKind, KernelSource } from '../gpu/types.js';

export type CompileRequest = { id: number; kernel: KernelSource };
export type CompileReply =
  | { id: number; ok: true; hash: string; arch: string; bytes: Uint8Array; compileMs: number; log: string }
  | { id: number; ok: false; message: string; log: string; compileMs: number };

const { backend, arch } = workerData as { backend: BackendKind; arch: string };
const compiler = openCompiler(backend, arch);

parentPort?.on('message', (req: CompileRequest) => {
  const start = performance.now();
  let reply: CompileReply;
  try {
    const bin = compiler.compile(req.kernel);
    reply = { id: req.id, ok: true, ...bin };
  } catch (e) {
    const log = e instanceof CompileError ? e.log : '';
    reply = {
      id: req.id,
      ok: false,
      message: e instanceof Error ? e.message : String(e),
      log,
      compileMs: performance.now() - start,
    };
  }
  parentPort?.postMessage(reply);
});
