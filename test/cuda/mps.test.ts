import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findMpsControl, mpsEnv, startMpsDaemon, stopMpsDaemon } from '../../src/gpu/mps.js';
import { isSlicetuneError } from '../../src/util/errors.js';

/**
 * A stand-in nvidia-cuda-mps-control: `-d` marks its pipe dir as served (and fails where it is
 * served already, as the real one does), `get_server_list` succeeds only where it is served,
 * `quit` unmarks it. Enough to check slicetune's protocol.
 */
const FAKE_CONTROL = `#!/bin/sh
dir="\${CUDA_MPS_PIPE_DIRECTORY:-/tmp/nvidia-mps}"
if [ "$1" = "-d" ]; then
  [ -f "$dir/fake-daemon" ] && { echo "An instance of this daemon is already running" >&2; exit 1; }
  mkdir -p "$dir" && echo "$CUDA_MPS_LOG_DIRECTORY" > "$dir/fake-daemon"; exit 0
fi
read cmd
[ -f "$dir/fake-daemon" ] || { echo "Cannot find MPS control daemon process" >&2; exit 1; }
if [ "$cmd" = "quit" ]; then rm -f "$dir/fake-daemon"; fi
exit 0
`;

describe('MPS control', () => {
  let work: string;
  const saved = { PATH: process.env.PATH, pipe: process.env.CUDA_MPS_PIPE_DIRECTORY };

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'slicetune-mps-test-'));
    writeFileSync(join(work, 'nvidia-cuda-mps-control'), FAKE_CONTROL);
    chmodSync(join(work, 'nvidia-cuda-mps-control'), 0o755);
    process.env.PATH = `${work}:${saved.PATH}`;
    delete process.env.CUDA_MPS_PIPE_DIRECTORY;
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.pipe === undefined) delete process.env.CUDA_MPS_PIPE_DIRECTORY;
    else process.env.CUDA_MPS_PIPE_DIRECTORY = saved.pipe;
    rmSync(work, { recursive: true, force: true });
  });

  it('finds the control binary on PATH, and nothing on an empty PATH', () => {
    expect(findMpsControl()).toBe(join(work, 'nvidia-cuda-mps-control'));
    expect(findMpsControl('')).toBeUndefined();
  });

  it('starts its own daemon in its own directories and stops it', async () => {
    const dirs = { pipeDir: join(work, 'pipe'), logDir: join(work, 'log') };
    const daemon = await startMpsDaemon(dirs);
    expect(daemon).toMatchObject({ ...dirs, owned: true });
    expect(existsSync(join(dirs.pipeDir, 'fake-daemon'))).toBe(true);
    expect(existsSync(dirs.logDir)).toBe(true);
    await stopMpsDaemon(daemon);
    expect(existsSync(join(dirs.pipeDir, 'fake-daemon'))).toBe(false);
  });

  it('uses a daemon that already runs, and never stops it', async () => {
    const theirs = join(work, 'their-pipe');
    const started = await startMpsDaemon({ pipeDir: theirs, logDir: join(work, 'their-log') });
    // The user's daemon, announced the way CUDA clients find it.
    process.env.CUDA_MPS_PIPE_DIRECTORY = theirs;
    const daemon = await startMpsDaemon({ pipeDir: join(work, 'ours'), logDir: join(work, 'our-log') });
    expect(daemon.owned).toBe(false);
    expect(daemon.pipeDir).toBe(theirs);
    await stopMpsDaemon(daemon);
    expect(existsSync(join(theirs, 'fake-daemon'))).toBe(true);
    await stopMpsDaemon(started);
  });

  it('shares its own daemon between sessions: the last one to stop quits it', async () => {
    const dirs = { pipeDir: join(work, 'pipe'), logDir: join(work, 'log') };
    const served = () => existsSync(join(dirs.pipeDir, 'fake-daemon'));
    // Started at once, as two service jobs would: one launches it, the other finds it.
    const [a, b] = await Promise.all([startMpsDaemon(dirs), startMpsDaemon(dirs)]);
    expect(a.owned && b.owned).toBe(true);
    expect(a.claim).not.toBe(b.claim);
    await stopMpsDaemon(a);
    expect(served()).toBe(true);
    const c = await startMpsDaemon(dirs);
    await stopMpsDaemon(b);
    expect(served()).toBe(true);
    await stopMpsDaemon(c);
    expect(served()).toBe(false);
  });

  it('does not keep the daemon up for a session that died without stopping', async () => {
    const dirs = { pipeDir: join(work, 'pipe'), logDir: join(work, 'log') };
    const daemon = await startMpsDaemon(dirs);
    // A claim left by a process that no longer exists (pids do not reach 2^22 here).
    writeFileSync(join(`${dirs.pipeDir}.claims`, `${2 ** 22 + 17}-0`), '');
    await stopMpsDaemon(daemon);
    expect(existsSync(join(dirs.pipeDir, 'fake-daemon'))).toBe(false);
  });

  it('gives a client its share, the daemon pipe and the whole GPU size', () => {
    const daemon = { pipeDir: '/p', logDir: '/l', owned: true };
    expect(mpsEnv(25, daemon, 132)).toEqual({
      CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '25',
      CUDA_MPS_PIPE_DIRECTORY: '/p',
      CUDA_MPS_LOG_DIRECTORY: '/l',
      SLICETUNE_DEVICE_SMS: '132',
    });
    expect(() => mpsEnv(0, daemon)).toThrow(/MPS share/);
  });

  it('says so when the control binary is missing', async () => {
    process.env.PATH = join(work, 'nowhere');
    const error = await startMpsDaemon({ pipeDir: join(work, 'p') }).catch((e: unknown) => e);
    expect(isSlicetuneError(error, 'MPS_ERROR')).toBe(true);
  });
});
