import { it } from 'vitest';
import { RESNET18_WORKLOADS } from '../../src/ops/index.js';
import { makeModel } from '../../src/search/strategies/model.js';
import { makeStrategy } from '../../src/search/strategies/index.js';
import { simTask } from './sim-measure.js';
import { trialsToReach } from './helpers.js';
import { CostModel } from '../../src/search/cost-model.js';
let fitMs = 0;
const origFit = CostModel.prototype.fit;
CostModel.prototype.fit = function (s) { const t = performance.now(); origFit.call(this, s); fitMs += performance.now() - t; };
const variants: Record<string, object> = JSON.parse(process.env.VARIANTS ?? '{}');
const REF: Record<string, number> = { 'layer3.0.conv1x': 0,  'layer1.x.conv1': 0.0105, 'layer2.1.conv1': 0.0119, 'layer3.1.conv1': 0.0139, 'layer3.0.conv1': 0.0106 };
it('prof', { timeout: 900_000 }, async () => {
  const cap = Number(process.env.CAP ?? 320);
  const batch = Number(process.env.BATCH ?? 16);
  for (const [vname, opts] of Object.entries(variants)) {
    const all: number[] = [];
    let ms = 0; fitMs = 0;
    const lines: string[] = [];
    for (const name of (process.env.WL ?? 'layer1.x.conv1,layer2.1.conv1,layer3.1.conv1').split(',')) {
      const mw = RESNET18_WORKLOADS.find((m) => m.name === name)!;
      const task = simTask(mw.workload, 'conv2d_direct', 100);
      const row: number[] = [];
      for (const seed of (process.env.SEEDS ?? '1,2,3').split(',').map(Number)) {
        const t0 = performance.now();
        const strategy = vname.startsWith('ga') || vname.startsWith('random') ? makeStrategy(vname.split('-')[0]!, { seed, batchSize: batch }) : makeModel({ seed, batchSize: batch, ...opts });
        const n = await trialsToReach({ space: task.space, strategy, measure: task.measure, target: REF[name]! * 1.05, cap, batchSize: batch, seed });
        ms += performance.now() - t0;
        row.push(n); all.push(n);
      }
      lines.push(`${name}:${row.join(',')}`);
    }
    all.sort((a, b) => a - b);
    console.log(vname.padEnd(10), 'mean', (all.reduce((a, b) => a + b, 0) / all.length).toFixed(0), 'median', all[all.length >> 1], 'fails', all.filter((n) => n > cap).length, 'ms', ms.toFixed(0), 'fit', fitMs.toFixed(0), lines.join(' '));
  }
});
