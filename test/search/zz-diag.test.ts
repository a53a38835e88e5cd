import { it } from 'vitest';
import { RESNET18_WORKLOADS, workloadKey } from '../../src/ops/index.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { makeModel } from '../../src/search/strategies/model.js';
import { transferPrior } from '../../src/search/transfer.js';
import { tune } from '../../src/search/tune.js';
import { simTask } from './sim-measure.js';
it('diag', { timeout: 900_000 }, async () => {
  const layer = RESNET18_WORKLOADS.find((m) => m.name === (process.env.WL ?? 'layer2.1.conv1'))!;
  const key = workloadKey(layer.workload);
  const whole = simTask(layer.workload, 'conv2d_direct', 100);
  const quarter = simTask(layer.workload, 'conv2d_direct', 25);
  const src = await tune({ space: whole.space, strategy: makeStrategy('model', { seed: 50, batchSize: 16 }), measure: whole.measure, budget: { trials: Number(process.env.SRC ?? 160) }, batchSize: 16, seed: 50 });
  const records = src.trials.map((t) => ({ formatVersion: 1, taskKey: '', workloadKey: key, template: 'conv2d_direct', config: t.config, configKey: t.configKey, slice: { mechanism: 'green' as const, sms: 132, percent: 100 }, result: t.result!, provenance: {} as never, timestamp: 0, runId: '' }));
  const srcBest = src.best!.config;
  const long = await tune({ space: quarter.space, strategy: makeStrategy('ga', { seed: 99, batchSize: 32 }), measure: quarter.measure, budget: { trials: 3000 }, batchSize: 32, seed: 99 });
  console.log('100% best', src.best!.cost.toFixed(4), JSON.stringify(srcBest), 'at 25%:', quarter.timeOf(srcBest).toFixed(4), '25% GA best', long.best!.cost.toFixed(4), JSON.stringify(long.best!.config));
  const topSrc = [...src.trials].sort((a, b) => a.cost - b.cost).slice(0, 10).map((t) => quarter.timeOf(t.config).toFixed(4));
  console.log('top10 source configs at 25%', topSrc.join(' '));
  const variants = JSON.parse(process.env.VARIANTS ?? '{"w":{}}');
  for (const [name, v] of Object.entries(variants) as [string, any][]) {
    const prior = transferPrior(records, quarter.space, { workloadKey: key, percent: 25 }, v.transfer ?? {});
    const rows: string[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const marks: string[] = [];
      await tune({ space: quarter.space, strategy: makeModel({ seed, batchSize: 16, ...(v.cold ? {} : { prior }), ...(v.ctx ? { context: [Math.log2(25)] } : {}), ...(v.model ?? {}) }), measure: quarter.measure, budget: { trials: 160 }, batchSize: 16, seed,
        onProgress: (p) => { if (p.trials % 32 === 0) marks.push(p.bestCost.toFixed(4)); } });
      rows.push(marks.join(','));
    }
    console.log(name, rows.join(' | '));
  }
});
