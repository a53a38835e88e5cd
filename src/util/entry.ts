import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Where a worker/child entry module lives, given the URL of a module beside it. Under the
 * TypeScript sources (tests, tsx) the entry is a .ts file and the child needs the tsx loader;
 * in the built package it is the compiled .js and needs nothing.
 */
export function siblingEntry(moduleUrl: string, baseName: string): { path: string; execArgv: string[] } {
  const here = fileURLToPath(moduleUrl);
  const isTs = here.endsWith('.ts');
  return {
    path: join(dirname(here), `${baseName}${isTs ? '.ts' : '.js'}`),
    execArgv: isTs ? ['--import', 'tsx'] : [],
  };
}

/**
 * Starts a worker thread on a sibling entry module. Worker threads ignore `--import`, so under
 * the TypeScript sources the worker registers the tsx loader itself before importing the entry.
 */
export function startWorker(moduleUrl: string, baseName: string, options: WorkerOptions = {}): Worker {
  const entry = siblingEntry(moduleUrl, baseName);
  if (entry.execArgv.length === 0) return new Worker(entry.path, options);
  const target = JSON.stringify(pathToFileURL(entry.path).href);
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${target}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/** Sends a message to the parent process (if any) and resolves once it has been handed over. */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message as object, undefined, undefined, () => resolve());
  });
}
