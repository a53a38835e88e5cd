/**
 * Progress in the terminal: a bar per task with trials, best GFLOP/s and errors (stderr). When
 * stderr is not a terminal (CI, logs), one plain line per measured batch instead.
 */
import { MultiBar, Presets } from 'cli-progress';
import type { TuneProgress } from '../search/tune.js';

export interface ProgressLine {
  update: (p: TuneProgress) => void;
}

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
    const describe = (p: TuneProgress) => ({
      gflops: Number.isFinite(p.bestCost) ? (flops / p.bestCost / 1e6).toFixed(0) : '-',
      errors: Object.values(p.errors).reduce((a, b) => a + b, 0),
    });
    const bars = this.bars;
    if (!bars) {
      return {
        update: (p) => {
          const d = describe(p);
          process.stderr.write(
            `${task}: ${p.trials}/${total} trials, best ${d.gflops} GFLOP/s, errors ${d.errors}\n`,
          );
        },
      };
    }
    const bar = bars.create(total, 0, { task: task.padEnd(18), gflops: '-', errors: 0 });
    return { update: (p) => bar.update(p.trials, describe(p)) };
  }

  stop(): void {
    this.bars?.stop();
  }
}
