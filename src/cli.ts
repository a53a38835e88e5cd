#!/usr/bin/env node
/** slicetune's command line: each command lives in cli/commands/ and registers itself here. */
import { Command } from 'commander';
import { SlicetuneError } from './util/errors.js';
import { VERSION } from './version.js';

const program = new Command()
  .name('slicetune')
  .description('Autotune DNN operators into CUDA kernels for a share of the GPU')
  .version(VERSION);

for (const register of await loadCommands()) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof SlicetuneError) {
    process.stderr.write(`slicetune: ${e.message} [${e.code}]\n`);
    process.exit(2);
  }
  throw e;
}

async function loadCommands(): Promise<((p: Command) => void)[]> {
  const modules = await Promise.all([
    import('./cli/commands/devices.js'),
    import('./cli/commands/space.js'),
    import('./cli/commands/tune-op.js'),
    import('./cli/commands/records.js'),
    import('./cli/commands/tasks.js'),
    import('./cli/commands/tune.js'),
    import('./cli/commands/run.js'),
    import('./cli/commands/serve.js'),
    import('./cli/commands/report.js'),
    import('./cli/commands/sweep.js'),
  ]);
  return modules.map((m) => m.register);
}
