/** Small helpers for benchmark output: a markdown table, the card and the date. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import type { DeviceInfo } from '../../src/gpu/types.js';

export function mdTable(rows: readonly (readonly (string | number)[])[]): string {
  const [head, ...body] = rows.map((r) => r.map(String));
  if (!head) return '';
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function cardLine(device: DeviceInfo): string {
  const sim = device.simulated ? ' — SIMULATED GPU (analytical model), not a measurement' : '';
  return `${device.name}, ${device.sms} SMs, ${device.arch}, driver ${device.driverVersion}, CUDA ${device.cudaVersion}${sim}`;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function writeOut(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

export const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x));

/**
 * Runs the chosen sections of a benchmark (a failing section is reported, not fatal), writing
 * `<name>.md` and `<name>.json` under `outDir` after each, then prints the markdown and exits (a runner
 * or worker left behind must not keep the benchmark alive).
 */
export async function runBenchmark(b: {
  name: string;
  outDir: string;
  only: string;
  sections: Record<string, () => Promise<void>>;
  out: string[];
  json: Record<string, unknown>;
  card: () => DeviceInfo | undefined;
  command: string;
}): Promise<void> {
  const started = new Date();
  // The lent GPU machine compiles far slower in its first minutes (docs/RESULTS.md 3.3): say how
  // long it had been up, so runs that began on a fresh machine can be told apart.
  const uptimeS = os.uptime();
  // Written after every section, so a run stopped at the device's time limit keeps what it did.
  const write = (): string => {
    const card = b.card();
    const text = [
      `# bench/${b.name}`,
      '',
      `Card: ${card ? cardLine(card) : 'unknown'}. Date: ${today()} (started ${started.toISOString()}, machine up ${Math.round(uptimeS)} s, ${os.cpus().length} CPUs).`,
      `Command: \`${b.command}\` in the staged tree (see bench/README.md).`,
      '',
      ...b.out,
    ].join('\n');
    writeOut(`${b.outDir}/bench-${b.name}.md`, text);
    writeOut(
      `${b.outDir}/bench-${b.name}.json`,
      JSON.stringify({ card, date: today(), machineUptimeS: Math.round(uptimeS), ...b.json }, null, 2),
    );
    return text;
  };
  for (const [key, fn] of Object.entries(b.sections)) {
    if (!b.only.includes(key)) continue;
    const t = performance.now();
    try {
      await fn();
    } catch (e) {
      b.out.push(`## ${key}) FAILED`, '', '```', String(e instanceof Error ? e.stack : e), '```', '');
    }
    process.stderr.write(`section ${key}: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    write();
  }
  const text = write();
  process.stdout.write(`${text}\n`, () => process.exit(0));
}
