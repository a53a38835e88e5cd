/**
 * The CUDA MPS control daemon. slicetune starts its own, with its own pipe and log directories,
 * and stops it when done; a daemon the user already runs is used as it is and never stopped.
 * slicetune's own daemon is shared: several measurement sessions (the service's jobs, or two
 * slicetune processes of one user) use the one daemon of slicetune's pipe directory, each with a
 * claim (a file named after its process in `<pipeDir>.claims/`), and the last to stop quits it.
 * Without the claims, the first job to finish quit the daemon under the others' clients.
 * Clients find the daemon through CUDA_MPS_PIPE_DIRECTORY and take their share of the SMs from
 * CUDA_MPS_ACTIVE_THREAD_PERCENTAGE (see mpsEnv).
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  /**
   * True for slicetune's own daemon (started by this session or by another slicetune session):
   * the last session to stop it quits it. False for a daemon of the user's: never stopped.
   */
  owned: boolean;
  /** This session's claim on an owned daemon (a file path). */
  claim?: string;
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
  // Claimed before looking, so a session stopping now sees this one and leaves the daemon up.
  const claim = claimDaemon(own.pipeDir);
  const ours = { pipeDir: own.pipeDir, logDir: own.logDir, owned: true, claim };
  try {
    if (await daemonAnswers(own.pipeDir)) return ours;
    const theirs = [process.env.CUDA_MPS_PIPE_DIRECTORY, DEFAULT_PIPE_DIR].filter(
      (d): d is string => !!d && d !== own.pipeDir,
    );
    for (const pipeDir of new Set(theirs)) {
      if (await daemonAnswers(pipeDir)) {
        rmSync(claim, { force: true });
        return { pipeDir, logDir: process.env.CUDA_MPS_LOG_DIRECTORY ?? DEFAULT_LOG_DIR, owned: false };
      }
    }
    await launchDaemon(own.pipeDir, own.logDir, dirs.timeoutMs ?? 15_000);
    return ours;
  } catch (e) {
    rmSync(claim, { force: true });
    throw e;
  }
}

/** Starts the control daemon in `pipeDir` and waits until it answers. */
async function launchDaemon(pipeDir: string, logDir: string, timeoutMs: number): Promise<void> {
  mkdirSync(pipeDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const started = spawnSync(CONTROL, ['-d'], { env: controlEnv(pipeDir, logDir), encoding: 'utf8' });
  // Another session may have started it a moment ago: a second `-d` then fails, and that is fine.
  if ((started.error || started.status !== 0) && !(await daemonAnswers(pipeDir))) {
    const why =
      started.error?.message ?? (`${started.stderr}${started.stdout}`.trim() || `exit ${started.status}`);
    throw new SlicetuneError('MPS_ERROR', `${CONTROL} -d failed (pipe dir ${pipeDir}): ${why}`);
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await daemonAnswers(pipeDir))) {
    if (Date.now() > deadline) {
      throw new SlicetuneError(
        'MPS_ERROR',
        `the MPS daemon started in ${pipeDir} does not answer (log: ${logDir})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Gives up this session's claim on slicetune's daemon and quits it (waiting until it is gone)
 * when no live session claims it any more; leaves a daemon of the user's alone.
 */
export async function stopMpsDaemon(daemon: MpsDaemon, timeoutMs = 15_000): Promise<void> {
  if (!daemon.owned) return;
  if (daemon.claim) rmSync(daemon.claim, { force: true });
  if (liveClaims(daemon.pipeDir) > 0) return;
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

let claims = 0;

/** Writes this session's claim on the daemon of `pipeDir`; returns its path. */
function claimDaemon(pipeDir: string): string {
  const dir = `${pipeDir}.claims`;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${process.pid}-${claims++}`);
  writeFileSync(path, '');
  return path;
}

/** Claims on the daemon of `pipeDir` by processes still alive (a crashed session's do not count). */
function liveClaims(pipeDir: string): number {
  let names: string[];
  try {
    names = readdirSync(`${pipeDir}.claims`);
  } catch {
    return 0;
  }
  return names.filter((name) => isAlive(Number.parseInt(name, 10))).length;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
