/**
 * Running a model where its slice lives. Green, exclusive and timeslice slices (and every slice
 * of the simulated GPU) run in this process. An `mps` slice of a real GPU runs in a child
 * process started as an MPS client (CUDA_MPS_ACTIVE_THREAD_PERCENTAGE = the share) under a
 * daemon slicetune starts and stops, or under the one this process already runs under.
 */
import { fork } from 'node:child_process';
import { probeDevices, resolveBackend } from '../gpu/device.js';
import { MPS_PERCENT_ENV, type MpsDaemon, mpsEnv, startMpsDaemon, stopMpsDaemon } from '../gpu/mps.js';
import { siblingEntry } from '../util/entry.js';
import { type ErrorCode, SlicetuneError } from '../util/errors.js';
import { runModel } from './run-model.js';
import type { RunModelOptions, RunReport } from './types.js';

export type ChildMessage =
  | { type: 'report'; report: RunReport }
  | { type: 'error'; code: string; message: string };

/** runModel in-process where it can; in an MPS client process where the slice needs one. */
export async function runModelOnSlice(o: RunModelOptions): Promise<RunReport> {
  if (o.mechanism !== 'mps' || process.env[MPS_PERCENT_ENV] !== undefined) return runModel(o);
  if (resolveBackend(o.device).kind !== 'cuda') return runModel(o);
  const deviceSms = (await probeDevices('cuda')).devices[0]?.sms;
  let daemon: MpsDaemon | undefined;
  try {
    daemon = await startMpsDaemon();
    return await runModelInChild(o, mpsEnv(o.percent, daemon, deviceSms));
  } finally {
    if (daemon) await stopMpsDaemon(daemon);
  }
}

/** Runs runModel in a child process with `env` added; resolves to its report. */
export function runModelInChild(o: RunModelOptions, env: Record<string, string>): Promise<RunReport> {
  const entry = siblingEntry(import.meta.url, 'run-child');
  const child = fork(entry.path, [], {
    execArgv: entry.execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, ...env, SLICETUNE_RUN_OPTIONS: JSON.stringify(o) },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  return new Promise<RunReport>((resolve, reject) => {
    let answered = false;
    child.on('message', (raw) => {
      const msg = raw as ChildMessage;
      answered = true;
      if (msg.type === 'report') resolve(msg.report);
      else reject(new SlicetuneError(msg.code as ErrorCode, msg.message));
    });
    child.on('exit', (code, signal) => {
      if (answered) return;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      reject(
        new SlicetuneError(
          'WORKER_DIED',
          `the model's client process ended (${how}) without a report: ${stderr.trim()}`,
        ),
      );
    });
  });
}
