/**
 * Linux /proc readers shared by the compile traces (measure/compile-trace.ts) and
 * bench/compile. Each answers undefined where there is no /proc (macOS, Windows).
 */
import { readFileSync } from 'node:fs';

/** Milliseconds per tick of /proc/stat and /proc/<pid>/stat (USER_HZ is 100 on Linux). */
export const USER_HZ_MS = 10;

/** The machine's CPU ticks by kind, all CPUs summed (the first line of /proc/stat). */
export function machineCpuTicks(): { busy: number; idle: number; steal: number } | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    if (fields.length < 8) return undefined;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
  } catch {
    return undefined;
  }
}

/**
 * The fields of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat file after the command name
 * (which may hold spaces), so that field N of proc(5) is index N - 3.
 */
export function procStatFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
