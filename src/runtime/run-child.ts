/**
 * A child process that runs one model (runModel) and sends its report to the parent: how a
 * model runs on an `mps` slice, since only a process started under the MPS daemon with its
 * thread percentage is an MPS client (mps-client.ts starts it).
 */

import { sendToParent } from '../util/entry.js';
import type { ChildMessage } from './mps-client.js';
import { runModel } from './run-model.js';
import type { RunModelOptions } from './types.js';

const send = (msg: ChildMessage): Promise<void> => sendToParent(msg);

async function main(): Promise<void> {
  const options = JSON.parse(process.env.SLICETUNE_RUN_OPTIONS ?? 'null') as RunModelOptions | null;
  try {
    if (!options) throw new Error('run-child started without SLICETUNE_RUN_OPTIONS');
    await send({ type: 'report', report: await runModel(options) });
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'INTERNAL';
    await send({ type: 'error', code, message: e instanceof Error ? e.message : String(e) });
  }
  // Compile workers or a driver thread must not keep the client alive.
  process.exit(0);
}

await main();
