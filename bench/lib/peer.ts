/** Runs a Python peer script (PyTorch on the GPU machine) and reads its JSON answer. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function runPythonPeer<T>(
  script: string,
  input: unknown,
  env: Record<string, string> = {},
  timeoutMs = 300_000,
): T {
  const dir = mkdtempSync(join(tmpdir(), 'slicetune-peer-'));
  const inPath = join(dir, 'in.json');
  const outPath = join(dir, 'out.json');
  writeFileSync(inPath, JSON.stringify(input));
  const r = spawnSync('python3', [script, '--workloads', inPath, '--out', outPath], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (r.status !== 0) throw new Error(`peer ${script} failed (${r.status}): ${r.stderr?.slice(-3000)}`);
  return JSON.parse(readFileSync(outPath, 'utf8')) as T;
}
