import { it } from 'vitest';
import { RESNET18_WORKLOADS } from '../../src/ops/index.js';
import { makeModel } from '../../src/search/strategies/model.js';
import { TuneSession } from '../../src/search/session.js';
import { simTask } from './sim-measure.js';
it('diag', { timeout: 600_000 }, async () => {
  const name = process.env.WL ?? 'layer1.x.conv1';
  const mw = RESNET18_WORKLOADS.find((m) => m.name === name)!;
  const task = simTask(mw.workload, 'conv2d_direct', 100);
  const seed = Number(process.env.SEED ?? 1);
  const opts = JSON.parse(process.env.OPTS ?? '{}');
  const s = new TuneSession({ space: task.space, strategy: makeModel({ seed, batchSize: 16, ...opts }), measure: task.measure, seed });
  for (let b = 0; b < 20; b++) {
    const batch = await s.step(16);
    const costs = batch.map((t) => t.cost).sort((a, b) => a - b);
    console.log(b, 'best', s.best!.cost.toFixed(4), 'batch min', costs[0]!.toFixed(4), 'median', costs[8]!.toFixed(4), 'cfg', JSON.stringify(s.best!.config));
  }
});
