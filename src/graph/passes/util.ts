/** Helpers the passes share. Passes never mutate their input graph: they return a new one. */
import { consumersOf, type Graph, type GraphNode, type Initializer } from '../ir.js';

/** A shallow copy that a pass may edit: new node and initializer lists, node objects shared. */
export function copyGraph(graph: Graph): Graph {
  return {
    ...graph,
    inputs: [...graph.inputs],
    outputs: [...graph.outputs],
    initializers: [...graph.initializers],
    nodes: [...graph.nodes],
  };
}

/** The one node that reads `tensor`, when exactly one does and the tensor is not a graph output. */
export function soleConsumer(
  graph: Graph,
  consumers: Map<string, GraphNode[]>,
  tensor: string,
): GraphNode | undefined {
  if (graph.outputs.includes(tensor)) return undefined;
  const readers = consumers.get(tensor);
  if (readers?.length !== 1) return undefined;
  const reader = readers[0];
  // A node that reads the tensor twice (x * x) still counts as one reader, but cannot absorb it.
  if (reader?.inputs.filter((i) => i === tensor).length !== 1) return undefined;
  return reader;
}

export function constantOf(graph: Graph, name: string): Initializer | undefined {
  return graph.initializers.find((i) => i.name === name);
}

/** A constant's single value when it holds exactly one element. */
export function scalarOf(graph: Graph, name: string | undefined): number | undefined {
  if (!name) return undefined;
  const c = constantOf(graph, name);
  return c && c.data.length === 1 ? (c.data[0] as number) : undefined;
}

/**
 * Replaces `remove` nodes and puts `replacement` where `at` stood (at is one of them, or another
 * node). Placing a fused node at its last absorbed node keeps every input defined before use.
 */
export function spliceNodes(graph: Graph, remove: GraphNode[], at: GraphNode, replacement: GraphNode): void {
  graph.nodes = graph.nodes.flatMap((n) => (n === at ? [replacement] : remove.includes(n) ? [] : [n]));
}

export function refreshConsumers(graph: Graph): Map<string, GraphNode[]> {
  return consumersOf(graph);
}
