import { it } from 'vitest';
import { RESNET18_WORKLOADS } from '../../src/ops/index.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { tune } from '../../src/search/tune.js';
import { simTask } from './sim-measure.js';
it('land', { timeout: 600_000 }, async () => {
  for (const name of (process.env.WL ?? 'layer2.1.conv1').split(',')) {
    const mw = RESNET18_WORKLOADS.find((m) => m.name === name)!;
    const task = simTask(mw.workload, 'conv2d_direct', Number(process.env.PCT ?? 100));
    for (const seed of [1, 2, 3]) {
      const r = await tune({ space: task.space, strategy: makeStrategy('ga', { seed, batchSize: 32 }), measure: task.measure, budget: { trials: 3000 }, batchSize: 32, seed });
      const top = [...r.trials].sort((a, b) => a.cost - b.cost).slice(0, 3);
      for (const t of top) console.log(name, seed, t.cost.toFixed(4), JSON.stringify(t.config), task.space.features(t.config).slice(-7).map((x) => +x.toFixed(3)).join(','));
    }
  }
});
