/** `slicetune tasks <model|file.onnx>`: the tuning tasks of a model (shapes, FLOPs, weights). */
import type { Command } from 'commander';
import { extractTasks, loadModel } from '../../graph/index.js';
import { formatEpilogue, formatShape, workloadFlops } from '../../ops/index.js';
import { inputSizeOption, jsonOption, seqLenOption } from '../options.js';
import { emit, table } from '../output.js';

interface TasksOptions {
  json?: boolean;
  inputSize?: number;
  seqLen?: number;
}

export function register(program: Command): void {
  program
    .command('tasks')
    .description('list the tunable tasks of a zoo model or an ONNX file')
    .argument(
      '<model>',
      'a zoo model (resnet18, resnet50, mobilenet_v2, vgg16, bert_encoder) or a .onnx file',
    )
    .addOption(inputSizeOption())
    .addOption(seqLenOption())
    .addOption(jsonOption())
    .action((model: string, opts: TasksOptions) => {
      const graph = loadModel(model, { inputSize: opts.inputSize, seqLen: opts.seqLen });
      const { tasks, graph: optimized } = extractTasks(graph);
      const rows = tasks.map((t) => {
        const gflops = workloadFlops(t.workload) / 1e9;
        return {
          key: t.key,
          op: t.workload.op,
          shape: formatShape(t.workload),
          epilogue: formatEpilogue(t.workload.epilogue),
          template: t.template,
          weight: t.weight,
          gflops,
          totalGflops: gflops * t.weight,
        };
      });
      const untuned: Record<string, number> = {};
      for (const n of optimized.nodes) if (!n.workload) untuned[n.op] = (untuned[n.op] ?? 0) + 1;
      const totals = {
        tasks: rows.length,
        tunableNodes: rows.reduce((a, r) => a + r.weight, 0),
        gflops: rows.reduce((a, r) => a + r.totalGflops, 0),
      };
      const data = { model: graph.name, source: model, tasks: rows, totals, untunedOps: untuned };
      emit(data, opts, () =>
        [
          `model ${graph.name}: ${totals.tasks} tasks, ${totals.tunableNodes} tunable nodes, ` +
            `${totals.gflops.toFixed(3)} GFLOP per inference in tunable ops`,
          table([
            // formatShape already ends with the epilogue.
            ['#', 'op', 'shape', 'template', 'weight', 'GFLOP', 'GFLOP x weight', 'key'],
            ...rows.map((r, i) => [
              i + 1,
              r.op,
              r.shape,
              r.template,
              r.weight,
              r.gflops.toFixed(4),
              r.totalGflops.toFixed(4),
              r.key,
            ]),
          ]),
          `not tuned (fixed kernels): ${
            Object.entries(untuned)
              .map(([op, n]) => `${op} x${n}`)
              .join(', ') || 'none'
          }`,
        ].join('\n'),
      );
    });
}
