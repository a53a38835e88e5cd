/** One compile worker seen from the builder, whether it is a thread or a child process. */
import { fork } from 'node:child_process';
import { siblingEntry, startWorker } from '../util/entry.js';
import {
  COMPILE_CONFIG_ENV,
  type CompileReply,
  type CompileRequest,
  type CompileWorkerConfig,
} from './protocol.js';

export type CompileWorkerKind = 'thread' | 'process';

export interface CompileChannel {
  send(req: CompileRequest): void;
  /** Keep the host alive while a compile is held; let it exit when idle. */
  hold(busy: boolean): void;
  close(): Promise<void>;
  /** Ends the worker at once, mid-compile (NVRTC cannot be interrupted otherwise). */
  kill(): void;
}

export interface ChannelEvents {
  reply: (r: CompileReply) => void;
  crash: (e: Error) => void;
}

export function openCompileChannel(
  kind: CompileWorkerKind,
  config: CompileWorkerConfig,
  on: ChannelEvents,
): CompileChannel {
  if (kind === 'thread') {
    const worker = startWorker(import.meta.url, 'compile-worker', { workerData: config });
    worker.on('message', on.reply);
    worker.on('error', on.crash);
    worker.unref();
    return {
      send: (req) => worker.postMessage(req),
      hold: (busy) => (busy ? worker.ref() : worker.unref()),
      close: async () => {
        await worker.terminate();
      },
      kill: () => void worker.terminate(),
    };
  }
  const entry = siblingEntry(import.meta.url, 'compile-worker');
  const child = fork(entry.path, [], {
    execArgv: entry.execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, [COMPILE_CONFIG_ENV]: JSON.stringify(config) },
  });
  child.on('message', (m) => on.reply(m as CompileReply));
  child.on('exit', (code, signal) => {
    if (code !== 0) on.crash(new Error(`compile process exited (code ${code}, signal ${signal})`));
  });
  const setRef = (busy: boolean) => {
    const ipc = (child as unknown as { channel?: { ref(): void; unref(): void } }).channel;
    if (busy) {
      child.ref();
      ipc?.ref();
    } else {
      child.unref();
      ipc?.unref();
    }
  };
  setRef(false);
  return {
    send: (req) => child.send(req),
    hold: setRef,
    kill: () => {
      child.kill('SIGKILL');
      setRef(false);
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      // An idle child is unref'd; without a ref the host could exit before 'exit' arrives.
      child.ref();
      child.disconnect();
      await exited;
    },
  };
}
