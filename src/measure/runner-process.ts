/**
 * The host's handle on one runner process: starts it, sends it items, and watches it. A
 * runner that stops answering is killed (the watchdog); one that dies is reported, so the
 * pool can restart it and requeue what it was doing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { DeviceInfo, Slice } from '../gpu/types.js';
import { siblingEntry } from '../util/entry.js';
import { SlicetuneError } from '../util/errors.js';
import type { RunnerConfig, RunnerItem, RunnerMessage } from './protocol.js';
import type { MeasureOptions, MeasureResult } from './types.js';

export type RunOutcome =
  | { kind: 'result'; result: MeasureResult; runWallMs: number; fatal: boolean }
  /** The process went away without a result for this item (killed, crashed, or a peer's fault). */
  | { kind: 'died'; message: string }
  /** The watchdog killed the process because this item ran past its budget. */
  | { kind: 'watchdog'; message: string; runWallMs: number };

interface Pending {
  resolve: (o: RunOutcome) => void;
  timer: NodeJS.Timeout;
  start: number;
  arm: (budgetMs: number) => void;
}

const STARTUP_TIMEOUT_MS = 120_000;

export class RunnerProcess {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private memRequests = new Map<number, (m: { free: number; total: number }) => void>();
  private nextRequest = 0;
  slices: Slice[] = [];
  device: DeviceInfo | undefined;
  /** Called whenever the process exits (the pool restarts a runner that died while idle). */
  onExit: (() => void) | undefined;
  restarts = -1;

  constructor(
    private readonly config: RunnerConfig,
    private readonly env: Record<string, string> = {},
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (or restarts) the process and waits until its slices are open. */
  async start(): Promise<Slice[]> {
    this.restarts++;
    const entry = siblingEntry(import.meta.url, 'runner-worker');
    const child = fork(entry.path, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      // Not inherited: an orphaned runner must not hold the parent's stdout open.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.env, SLICETUNE_RUNNER_CONFIG: JSON.stringify(this.config) },
    });
    this.child = child;
    child.stdout?.resume();
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail.push(d.toString());
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    const ready = new Promise<Slice[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new SlicetuneError('WORKER_DIED', `runner did not start within ${STARTUP_TIMEOUT_MS} ms`));
      }, STARTUP_TIMEOUT_MS);
      const onMessage = (raw: unknown) => {
        const msg = raw as RunnerMessage;
        if (msg.type === 'ready') {
          clearTimeout(timer);
          this.slices = msg.slices;
          this.device = msg.device;
          resolve(msg.slices);
        } else if (msg.type === 'startup-error') {
          clearTimeout(timer);
          reject(
            new SlicetuneError('SLICE_UNAVAILABLE', `runner could not start: ${msg.message} [${msg.code}]`),
          );
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new SlicetuneError(
            'WORKER_DIED',
            `runner exited during start (code ${code}, signal ${signal}): ${this.stderrTail.join('').slice(-2000)}`,
          ),
        );
      });
    });
    child.on('message', (raw) => this.onMessage(raw as RunnerMessage));
    child.on('exit', (code, signal) => this.exited(code, signal));
    return ready;
  }

  /**
   * Measures one item in `slot`. The watchdog gives the runner `firstBudgetMs` to say it is
   * alive, then whatever budget each heartbeat asks for; past it the process is killed and the
   * item is reported as `watchdog`.
   */
  run(slot: number, item: RunnerItem, options: MeasureOptions, firstBudgetMs: number): Promise<RunOutcome> {
    const child = this.child;
    if (!child || !this.alive) return Promise.resolve({ kind: 'died', message: 'runner is not running' });
    if (this.pending.has(slot)) throw new Error(`slot ${slot} is busy`);
    return new Promise<RunOutcome>((resolve) => {
      const start = performance.now();
      const pending: Pending = {
        resolve,
        start,
        timer: setTimeout(() => {}, 0),
        arm: (budgetMs) => {
          clearTimeout(pending.timer);
          pending.timer = setTimeout(() => {
            this.pending.delete(slot);
            resolve({
              kind: 'watchdog',
              message: `runner silent for ${Math.round(budgetMs)} ms (stuck in a GPU call): killed by the watchdog`,
              runWallMs: performance.now() - start,
            });
            this.kill();
          }, budgetMs);
        },
      };
      pending.arm(firstBudgetMs);
      this.pending.set(slot, pending);
      child.send({ type: 'measure', slot, item, options });
    });
  }

  /** Device memory as the runner sees it (for leak checks). */
  memInfo(): Promise<{ free: number; total: number }> {
    const requestId = this.nextRequest++;
    return new Promise((resolve) => {
      this.memRequests.set(requestId, resolve);
      this.child?.send({ type: 'mem-info', requestId });
    });
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  /** Asks the runner to free everything and exit; kills it if it does not. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // A runner that just died may not have reported its exit yet: its channel is closed then.
    if (child.connected) child.send({ type: 'close' }, (e) => e && child.kill('SIGKILL'));
    else child.kill('SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  get lastStderr(): string {
    return this.stderrTail.join('');
  }

  private onMessage(msg: RunnerMessage): void {
    if (msg.type === 'result') {
      const p = this.pending.get(msg.slot);
      if (!p) return; // the watchdog already gave up on it
      clearTimeout(p.timer);
      this.pending.delete(msg.slot);
      p.resolve({ kind: 'result', result: msg.result, runWallMs: msg.runWallMs, fatal: msg.fatal });
    } else if (msg.type === 'alive') {
      this.pending.get(msg.slot)?.arm(msg.budgetMs);
    } else if (msg.type === 'mem-info') {
      this.memRequests.get(msg.requestId)?.({ free: msg.free, total: msg.total });
      this.memRequests.delete(msg.requestId);
    }
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    const why = `runner process exited (code ${code}, signal ${signal})`;
    for (const [slot, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ kind: 'died', message: why });
      this.pending.delete(slot);
    }
    this.onExit?.();
  }
}
