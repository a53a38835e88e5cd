/**
 * Progress in the terminal: a bar per task with trials, best GFLOP/s and errors (stderr), and
 * free text lines (the estimated model latency). When stderr is not a terminal (CI, logs), one
 * plain line per measured batch instead, and text lines at most every few seconds.
 */
import { MultiBar, Presets } from 'cli-progress';
import type { TuneProgress } from '../search/tune.js';

/** What a task's bar shows. */
export interface TaskState {
  trials: number;
  /** Best latency, ms (Infinity before a success). */
  bestCost: number;
  errors: number;
}

export interface ProgressLine {
  update: (p: TuneProgress) => void;
  set: (s: TaskState) => void;
}

export interface TextLine {
  set: (text: string) => void;
}

/** Plain text lines are throttled to one per this many ms when stderr is not a terminal. */
const PLAIN_TEXT_EVERY_MS = 5_000;

export class TaskProgress {
  private readonly bars: MultiBar | undefined;

  constructor(private readonly flops: number) {
    if (!process.stderr.isTTY) return;
    this.bars = new MultiBar(
      {
        format: ' {task} |{bar}| {value}/{total} trials | best {gflops} GFLOP/s | errors {errors}',
        hideCursor: true,
        stream: process.stderr,
        clearOnComplete: false,
      },
      Presets.shades_classic,
    );
  }

  add(task: string, total: number, flops = this.flops): ProgressLine {
    const describe = (s: TaskState) => ({
      gflops: Number.isFinite(s.bestCost) && s.bestCost > 0 ? (flops / s.bestCost / 1e6).toFixed(0) : '-',
      errors: s.errors,
    });
    const fromTune = (p: TuneProgress): TaskState => ({
      trials: p.trials,
      bestCost: p.bestCost,
      errors: Object.values(p.errors).reduce((a, b) => a + b, 0),
    });
    const bars = this.bars;
    if (!bars) {
      const set = (s: TaskState) => {
        const d = describe(s);
        process.stderr.write(
          `${task}: ${s.trials}/${total} trials, best ${d.gflops} GFLOP/s, errors ${d.errors}\n`,
        );
      };
      return { set, update: (p) => set(fromTune(p)) };
    }
    const bar = bars.create(total, 0, { task: task.padEnd(18), gflops: '-', errors: 0 });
    const set = (s: TaskState) => bar.update(s.trials, describe(s));
    return { set, update: (p) => set(fromTune(p)) };
  }

  /** A line of free text under the bars (e.g. the estimated model latency). */
  addText(initial: string): TextLine {
    const bars = this.bars;
    if (!bars) {
      let last = 0;
      return {
        set: (text) => {
          const now = Date.now();
          if (now - last < PLAIN_TEXT_EVERY_MS) return;
          last = now;
          process.stderr.write(`${text}\n`);
        },
      };
    }
    const line = bars.create(1, 0, { text: initial }, { format: ' {text}' });
    return { set: (text) => line.update(0, { text }) };
  }

  stop(): void {
    this.bars?.stop();
  }
}
