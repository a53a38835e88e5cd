/**
 * bench/warm-memory: touches most of the machine's free memory once, in parallel, then frees it.
 *
 * Why: the lent GPU machine is a Firecracker VM whose memory the host backs on first touch. On
 * a freshly started one, tuning-loop compiles ran 10x slower than the same sources compiled
 * again a minute later, with 5-10x the CPU time and ~2,000 page faults each instead of ~10
 * (bench/compile worker traces, H100, 2026-11-27). A benchmark that compares a baseline with a
 * shared run should measure neither on memory the hypervisor has not backed yet. This prints
 * the seconds per GiB, so a run shows whether the memory was cold.
 * Usage: node bench/warm-memory.js [--fraction 0.8] [--procs 8]
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { argValue } from './lib/report.js';

const CHUNK = 256 * 2 ** 20;

function memAvailableBytes(): number {
  const line = readFileSync('/proc/meminfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('MemAvailable:'));
  const kib = Number(line?.split(/\s+/)[1]);
  if (!Number.isFinite(kib)) throw new Error('no MemAvailable in /proc/meminfo');
  return kib * 1024;
}

/** A child: allocates chunks and writes every page (calloc's zeros would not touch them), then exits. */
function touch(bytes: number): void {
  const held: Buffer[] = [];
  for (let done = 0; done < bytes; done += CHUNK)
    held.push(Buffer.allocUnsafe(Math.min(CHUNK, bytes - done)).fill(0xa5));
  process.send?.({ touched: held.reduce((s, b) => s + b.length, 0) });
}

if (process.env.WARM_MEMORY_CHILD) {
  touch(Number(process.env.WARM_MEMORY_CHILD));
} else {
  const fraction = Number(argValue('fraction', '0.8'));
  const procs = Number(argValue('procs', '8'));
  const total = memAvailableBytes() * fraction;
  const started = performance.now();
  const self = fileURLToPath(import.meta.url);
  const touched = await Promise.all(
    Array.from(
      { length: procs },
      () =>
        new Promise<number>((resolve, reject) => {
          const child = fork(self, [], {
            env: { ...process.env, WARM_MEMORY_CHILD: String(Math.floor(total / procs)) },
          });
          let bytes = 0;
          child.on('message', (m: { touched: number }) => {
            bytes = m.touched;
          });
          child.on('exit', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`exit ${code}`))));
        }),
    ),
  );
  const gib = touched.reduce((s, b) => s + b, 0) / 2 ** 30;
  const s = (performance.now() - started) / 1000;
  console.log(
    `warm-memory: touched ${gib.toFixed(1)} GiB in ${procs} processes in ${s.toFixed(1)} s (${(s / gib).toFixed(3)} s/GiB)`,
  );
}
