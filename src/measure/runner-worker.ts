/**
 * A runner process: opens the GPU (real or simulated), carves its slice(s) and measures what
 * its host sends. It is a separate process so that a faulting or hanging kernel takes down
 * only this process; the host's watchdog restarts it.
 */

import type { GpuBackend, SliceContext } from '../gpu/backend.js';
import { openBackend } from '../gpu/device.js';
import { sendToParent } from '../util/entry.js';
import type { HostMessage, RunnerConfig, RunnerMessage } from './protocol.js';
import { SliceMeasurer } from './slice-measurer.js';

const send = (msg: RunnerMessage): Promise<void> => sendToParent(msg);

async function main(): Promise<void> {
  const config = JSON.parse(process.env.SLICETUNE_RUNNER_CONFIG ?? 'null') as RunnerConfig | null;
  if (!config) throw new Error('runner-worker started without SLICETUNE_RUNNER_CONFIG');
  let backend: GpuBackend;
  let contexts: SliceContext[];
  let measurers: SliceMeasurer[];
  try {
    backend = openBackend(config.backend, config.backendOptions);
    // Green slices of one process never overlap: the backend carves each from the SMs left.
    contexts = config.slices.map((spec) => backend.openSlice(spec));
    measurers = contexts.map((c) => new SliceMeasurer(c));
    await send({
      type: 'ready',
      device: backend.info,
      slices: contexts.map((c) => c.slice),
      pid: process.pid,
    });
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'INTERNAL';
    await send({ type: 'startup-error', code, message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }

  process.on('message', async (raw) => {
    const msg = raw as HostMessage;
    if (msg.type === 'measure') {
      const measurer = measurers[msg.slot];
      if (!measurer) throw new Error(`no slice in slot ${msg.slot}`);
      const start = performance.now();
      const beat = (budgetMs: number) =>
        process.send?.({ type: 'alive', slot: msg.slot, budgetMs } satisfies RunnerMessage);
      const { result, fatal } = await measurer.measure(msg.item, msg.options, beat);
      await send({
        type: 'result',
        slot: msg.slot,
        itemId: msg.item.id,
        result,
        runWallMs: performance.now() - start,
        fatal,
      });
      // The context is poisoned or busy with a kernel that never ends: only an exit clears it.
      if (fatal) process.exit(3);
    } else if (msg.type === 'mem-info') {
      const ctx = contexts[0];
      const info = ctx ? ctx.memInfo() : { free: 0, total: 0 };
      await send({ type: 'mem-info', requestId: msg.requestId, ...info });
    } else if (msg.type === 'close') {
      for (const m of measurers) m.close();
      for (const c of contexts) c.close();
      backend.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

await main();
