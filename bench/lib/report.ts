/** Small helpers for benchmark output: a markdown table, the card and the date. */
import { mkdirSync, writeFileSync } from 'node:fs';
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
