/** Runs a slicetune command in-process, as the CLI would, and returns what it printed on stdout. */
import { Command } from 'commander';
import { vi } from 'vitest';

export async function runCommand(
  register: (program: Command) => void,
  args: readonly string[],
  options: { silenceStderr?: boolean } = {},
): Promise<string> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  register(program);
  const printed: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  const err = options.silenceStderr
    ? vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    : undefined;
  try {
    await program.parseAsync([...args], { from: 'user' });
  } finally {
    out.mockRestore();
    err?.mockRestore();
  }
  return printed.join('');
}
