/**
 * The CUDA MPS control daemon. slicetune starts its own, with its own pipe and log directories,
 * and stops it when done; a daemon the user already runs is used as it is and never stopped.
 * Clients find the daemon through CUDA_MPS_PIPE_DIRECTORY and take their share of the SMs from
 * CUDA_MPS_ACTIVE_THREAD_PERCENTAGE (see mpsEnv).
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { SlicetuneError } from '../util/errors.js';

const CONTROL = 'nvidia-cuda-mps-control';
/** MPS clients take their share of the SMs from this variable; the daemon enforces it. */
export const MPS_PERCENT_ENV = 'CUDA_MPS_ACTIVE_THREAD_PERCENTAGE';
/**
 * The whole GPU's SM count, handed to MPS clients: under MPS the device (SM-count attribute and
 * device resource alike) reports only the client's share, so a client cannot see the total.
 */
export const DEVICE_SMS_ENV = 'SLICETUNE_DEVICE_SMS';
/** Where the driver looks when CUDA_MPS_PIPE_DIRECTORY is unset. */
const DEFAULT_PIPE_DIR = '/tmp/nvidia-mps';
const DEFAULT_LOG_DIR = '/var/log/nvidia-mps';

export interface MpsDaemon {
  pipeDir: string;
  logDir: string;
  /** True when slicetune started it (and so stops it); false for a daemon already running. */
  owned: boolean;
}

export interface MpsDirs {
  pipeDir?: string;
  logDir?: string;
  /** How long to wait for the daemon to answer, ms (default 15 s). */
  timeoutMs?: number;
}

/** Path of nvidia-cuda-mps-control on PATH, or undefined. */
export function findMpsControl(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, CONTROL);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** slicetune's own directories; short, since the pipe dir holds UNIX sockets (108-byte paths). */
export function defaultMpsDirs(): { pipeDir: string; logDir: string } {
  const base = join(tmpdir(), `slicetune-mps-${userInfo().uid}`);
  return { pipeDir: join(base, 'pipe'), logDir: join(base, 'log') };
}

/**
 * The environment of a client process that takes `percent`% of the GPU under `daemon`;
 * `deviceSms` (the whole GPU's SMs, from probeDevices) lets the client report its share of it.
 */
export function mpsEnv(percent: number, daemon: MpsDaemon, deviceSms?: number): Record<string, string> {
  if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new SlicetuneError('BAD_OPTION', `MPS share must be in (0, 100], got ${percent}`);
  }
  return {
    [MPS_PERCENT_ENV]: String(percent),
    CUDA_MPS_PIPE_DIRECTORY: daemon.pipeDir,
    CUDA_MPS_LOG_DIRECTORY: daemon.logDir,
    ...(deviceSms === undefined ? {} : { [DEVICE_SMS_ENV]: String(deviceSms) }),
  };
}

/** Uses a running daemon (ours, the env's or the default one) or starts one and waits for it. */
export async function startMpsDaemon(dirs: MpsDirs = {}): Promise<MpsDaemon> {
  if (!findMpsControl()) {
    throw new SlicetuneError('MPS_ERROR', `${CONTROL} is not on PATH: MPS slices are unavailable here`);
  }
  const own = { ...defaultMpsDirs(), ...dropUndefined(dirs) };
  const candidates = [own.pipeDir, process.env.CUDA_MPS_PIPE_DIRECTORY, DEFAULT_PIPE_DIR];
  for (const pipeDir of new Set(candidates.filter((d): d is string => !!d))) {
    if (await daemonAnswers(pipeDir)) {
      const logDir =
        pipeDir === own.pipeDir ? own.logDir : (process.env.CUDA_MPS_LOG_DIRECTORY ?? DEFAULT_LOG_DIR);
      return { pipeDir, logDir, owned: false };
    }
  }
  mkdirSync(own.pipeDir, { recursive: true });
  mkdirSync(own.logDir, { recursive: true });
  const started = spawnSync(CONTROL, ['-d'], { env: controlEnv(own.pipeDir, own.logDir), encoding: 'utf8' });
  if (started.error || started.status !== 0) {
    const why =
      started.error?.message ?? (`${started.stderr}${started.stdout}`.trim() || `exit ${started.status}`);
    throw new SlicetuneError('MPS_ERROR', `${CONTROL} -d failed (pipe dir ${own.pipeDir}): ${why}`);
  }
  const deadline = Date.now() + (dirs.timeoutMs ?? 15_000);
  while (!(await daemonAnswers(own.pipeDir))) {
    if (Date.now() > deadline) {
      throw new SlicetuneError(
        'MPS_ERROR',
        `the MPS daemon started in ${own.pipeDir} does not answer (log: ${own.logDir})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pipeDir: own.pipeDir, logDir: own.logDir, owned: true };
}

/** Stops a daemon slicetune started (`quit`), waiting until it is gone; leaves others alone. */
export async function stopMpsDaemon(daemon: MpsDaemon, timeoutMs = 15_000): Promise<void> {
  if (!daemon.owned) return;
  const quit = await mpsControl('quit', daemon.pipeDir, timeoutMs);
  if (quit.code !== 0) {
    throw new SlicetuneError(
      'MPS_ERROR',
      `quit to the MPS daemon in ${daemon.pipeDir} failed: ${quit.output}`,
    );
  }
  const deadline = Date.now() + timeoutMs;
  while (await daemonAnswers(daemon.pipeDir)) {
    if (Date.now() > deadline) {
      throw new SlicetuneError(
        'MPS_ERROR',
        `the MPS daemon in ${daemon.pipeDir} is still running after quit`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether a control daemon listens in `pipeDir` (get_server_list succeeds only then). */
async function daemonAnswers(pipeDir: string): Promise<boolean> {
  return (await mpsControl('get_server_list', pipeDir, 5_000)).code === 0;
}

/** Sends one command on the control client's stdin. */
function mpsControl(
  command: string,
  pipeDir: string,
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(CONTROL, [], { env: controlEnv(pipeDir), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, output: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output: output.trim() });
    });
    // The client exits at once when no daemon listens: a write to it may then fail (EPIPE).
    child.stdin.on('error', () => {});
    child.stdin.end(`${command}\n`);
  });
}

function controlEnv(pipeDir: string, logDir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CUDA_MPS_PIPE_DIRECTORY: pipeDir };
  if (logDir) env.CUDA_MPS_LOG_DIRECTORY = logDir;
  // A control process must not itself be limited as a client.
  delete env[MPS_PERCENT_ENV];
  return env;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
