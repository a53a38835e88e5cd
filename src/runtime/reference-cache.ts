/**
 * Reference outputs kept on disk: a CPU reference of VGG-16 takes a minute, and a benchmark runs
 * each model at several shares on the same input. The key covers everything that changes them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashOf, stableStringify } from '../util/hash.js';

type Outputs = Record<string, Float32Array>;

export async function cachedReference(
  dir: string | undefined,
  key: unknown,
  compute: () => Promise<Outputs>,
): Promise<Outputs> {
  if (dir === undefined) return compute();
  const path = join(dir, `reference-${hashOf(stableStringify(key))}.json`);
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number[]>;
    return Object.fromEntries(
      Object.entries(stored).map(([name, values]) => [name, Float32Array.from(values)]),
    );
  }
  const outputs = await compute();
  mkdirSync(dir, { recursive: true });
  const plain = Object.fromEntries(Object.entries(outputs).map(([name, v]) => [name, Array.from(v)]));
  writeFileSync(path, JSON.stringify(plain));
  return outputs;
}
