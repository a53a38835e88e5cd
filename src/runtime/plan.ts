/**
 * The execution plan of an optimized graph: one kernel launch (or several) per node in graph
 * order, the tensor bound to every kernel argument, and the buffers: one per graph input, per
 * weight a kernel reads, per activation a kernel writes; aliases share their source's buffer.
 */
import type { DeviceInfo, KernelSource } from '../gpu/types.js';
import { describeNode, type Graph, type GraphNode, isTunable, numel, type TensorValue } from '../graph/ir.js';
import { validateGraph } from '../graph/validate.js';
import { workloadKey } from '../ops/index.js';
import { SlicetuneError } from '../util/errors.js';
import { type ChosenKernel, chooseKernel, type KernelSelector } from './choose.js';
import { lowerFixedNode, type TensorLookup } from './lower.js';
import type { ExecutionPlan, KernelChoice, PlannedLaunch, StorageRole } from './types.js';

export interface PlanResult {
  plan: ExecutionPlan;
  /** Launch index -> the default kernel to use if that tuned kernel fails to build. */
  fallbacks: Map<number, { choice: KernelChoice; source: KernelSource }>;
}

function lookupOf(graph: Graph): TensorLookup {
  const infos = validateGraph(graph);
  const constants = new Map<string, TensorValue>(graph.initializers.map((i) => [i.name, i]));
  const info = (name: string) => {
    const found = infos.get(name) ?? constants.get(name);
    if (!found) throw new SlicetuneError('BAD_MODEL', `graph '${graph.name}': tensor '${name}' has no shape`);
    return found;
  };
  return {
    shape: (name) => info(name).shape,
    dtype: (name) => info(name).dtype,
    constant: (name) => constants.get(name),
  };
}

export function planExecution(graph: Graph, device: DeviceInfo, selector: KernelSelector): PlanResult {
  const t = lookupOf(graph);
  const storage: ExecutionPlan['storage'] = new Map();
  const home = new Map<string, string>();
  const initializers = new Set(graph.initializers.map((i) => i.name));
  const own = (name: string, role: StorageRole) => {
    storage.set(name, { elements: numel(t.shape(name)), role });
    home.set(name, name);
  };
  for (const input of graph.inputs) own(input.name, 'input');

  const homeOf = (node: GraphNode, name: string): string => {
    const at = home.get(name);
    if (at) return at;
    if (initializers.has(name)) {
      if (t.dtype(name) !== 'f32') {
        throw new SlicetuneError('UNSUPPORTED_OP', `${describeNode(node)}: input '${name}' is not f32`);
      }
      own(name, 'weight');
      return name;
    }
    throw new SlicetuneError(
      'INTERNAL',
      `${describeNode(node)}: input '${name}' is used before it is produced`,
    );
  };

  const launches: PlannedLaunch[] = [];
  const choices: KernelChoice[] = [];
  const fallbacks: PlanResult['fallbacks'] = new Map();
  const byWorkload = new Map<string, ChosenKernel>();
  let aliasNodes = 0;

  const addLaunch = (node: GraphNode, launch: Omit<PlannedLaunch, 'tensors'>, tensors: string[]) => {
    const bound = tensors.map((name, i) => {
      const arg = launch.source.args[i];
      if (arg?.kind !== 'buffer') {
        throw new SlicetuneError(
          'INTERNAL',
          `${describeNode(node)}: argument ${i} of ${launch.source.entry} is not a buffer`,
        );
      }
      const produced = node.outputs.includes(name) && arg.role === 'output';
      if (produced && !home.has(name)) own(name, 'activation');
      const at = homeOf(node, name);
      const elements = storage.get(at)?.elements ?? 0;
      if (elements !== arg.elements) {
        throw new SlicetuneError(
          'INTERNAL',
          `${describeNode(node)}: '${name}' has ${elements} elements, ${launch.source.entry} argument '${arg.name}' wants ${arg.elements}`,
        );
      }
      return at;
    });
    if (bound.length !== launch.source.args.length) {
      throw new SlicetuneError(
        'INTERNAL',
        `${describeNode(node)}: ${bound.length} tensors for ${launch.source.args.length} arguments`,
      );
    }
    launches.push({ ...launch, tensors: bound });
  };

  for (const node of graph.nodes) {
    if (isTunable(node)) {
      const key = workloadKey(node.workload);
      let chosen = byWorkload.get(key);
      if (!chosen) {
        chosen = chooseKernel(node.name, node.workload, device, selector);
        byWorkload.set(key, chosen);
      }
      const choice = { ...chosen.choice, node: node.name };
      choices.push(choice);
      if (chosen.fallback)
        fallbacks.set(launches.length, {
          ...chosen.fallback,
          choice: { ...chosen.fallback.choice, node: node.name },
        });
      const tensors = [...node.inputs.filter((n) => n !== ''), node.outputs[0] ?? ''];
      addLaunch(
        node,
        { node: node.name, op: node.op, kind: choice.tuned ? 'tuned' : 'untuned', source: chosen.source },
        tensors,
      );
      continue;
    }
    const lowered = lowerFixedNode(node, t);
    if ('alias' in lowered) {
      const out = node.outputs[0] ?? '';
      home.set(out, homeOf(node, lowered.alias));
      aliasNodes++;
      continue;
    }
    for (const l of lowered.launches)
      addLaunch(node, { node: node.name, op: node.op, kind: 'fixed', source: l.source }, l.tensors);
  }
  for (const out of graph.outputs) {
    if (!home.has(out))
      throw new SlicetuneError('BAD_MODEL', `graph '${graph.name}': output '${out}' is never computed`);
  }
  const shaped = (name: string) => ({ name, shape: t.shape(name) });
  return {
    plan: {
      graphName: graph.name,
      storage,
      home,
      launches,
      choices,
      aliasNodes,
      inputs: graph.inputs.map((i) => shaped(i.name)),
      outputs: graph.outputs.map(shaped),
    },
    fallbacks,
  };
}
