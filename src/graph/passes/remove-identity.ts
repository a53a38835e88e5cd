/** Identity and inference-mode Dropout do nothing: their readers read the input directly. */
import type { Graph } from '../ir.js';
import { copyGraph } from './util.js';

const PASS_THROUGH = new Set(['Identity', 'Dropout']);

export function removeIdentities(graph: Graph): Graph {
  const out = copyGraph(graph);
  const alias = new Map<string, string>();
  const resolve = (name: string) => alias.get(name) ?? name;
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  out.nodes = [];
  for (const node of graph.nodes) {
    const inputs = node.inputs.map(resolve);
    const source = inputs[0];
    const extraOutputsUsed = node.outputs.slice(1).some((o) => o !== '');
    if (PASS_THROUGH.has(node.op) && source && !extraOutputsUsed) {
      const target = node.outputs[0] ?? '';
      if (!graph.outputs.includes(target)) {
        alias.set(target, source);
        continue;
      }
      // The output is a graph output: rename the producer's output instead, when there is one.
      const producer = out.nodes.find((n) => n.outputs.includes(source));
      if (producer && produced.has(source) && !graph.outputs.includes(source)) {
        const rename = (names: string[]) => names.map((n) => (n === source ? target : n));
        out.nodes = out.nodes.map((n) =>
          n === producer ? { ...n, outputs: rename(n.outputs) } : { ...n, inputs: rename(n.inputs) },
        );
        alias.set(source, target);
        continue;
      }
    }
    out.nodes.push(inputs.every((n, i) => n === node.inputs[i]) ? node : { ...node, inputs });
  }
  return out;
}
