/** Dead-node removal: drops nodes no graph output depends on, and initializers no node reads. */
import type { Graph } from '../ir.js';
import { copyGraph } from './util.js';

export function removeDeadNodes(graph: Graph): Graph {
  const out = copyGraph(graph);
  const needed = new Set(graph.outputs);
  const kept = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node?.outputs.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.inputs) if (input !== '') needed.add(input);
  }
  out.nodes = kept.reverse();
  out.initializers = graph.initializers.filter((init) => needed.has(init.name));
  return out;
}
