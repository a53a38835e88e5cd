/**
 * CUDA graphs by stream capture: the launches of a whole model are recorded once on the slice's
 * stream (cuStreamBeginCapture_v2 .. cuStreamEndCapture), instantiated (cuGraphInstantiateWithFlags)
 * and replayed with one cuGraphLaunch each, so the host's per-kernel launch cost leaves the
 * latency (what PyTorch's CUDA-graph replays do). Every call goes through `check`.
 */
import { SlicetuneError } from '../../util/errors.js';
import type { KernelGraph } from '../backend.js';
import { type CudaDriver, check, type Handle, outFloat, outHandle } from './driver.js';
import { enqueueHold, type HoldKernel } from './hold.js';
import { enqueueLaunch, type Launch } from './kernels.js';
import { CU_STREAM_CAPTURE_MODE_THREAD_LOCAL } from './prototypes.js';

type GraphApi = NonNullable<CudaDriver['graph']>;

export class CudaGraph implements KernelGraph {
  destroyed = false;
  constructor(
    /** The slice that captured it: it replays only there. */
    readonly owner: object,
    readonly graph: Handle,
    readonly exec: Handle,
    readonly launches: number,
  ) {}
}

export function graphApi(driver: CudaDriver): GraphApi {
  if (!driver.graph) {
    throw new SlicetuneError(
      'CUDA_ERROR',
      `this libcuda (${driver.path}) lacks the CUDA-graph calls (cuStreamBeginCapture_v2, cuGraphInstantiateWithFlags): CUDA >= 11.4 is needed`,
    );
  }
  return driver.graph;
}

/**
 * Captures `launches` (already checked and packed) on `stream`. A launch refused during the
 * capture ends it, drops the partial graph and rethrows, leaving the stream usable.
 */
export function captureLaunches(
  api: GraphApi,
  owner: object,
  stream: Handle,
  launches: readonly Launch[],
): CudaGraph {
  check('cuStreamBeginCapture_v2', api.cuStreamBeginCapture_v2(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
  try {
    for (const launch of launches) enqueueLaunch(launch);
  } catch (e) {
    try {
      const partial = outHandle((p) => check('cuStreamEndCapture', api.cuStreamEndCapture(stream, p)));
      if (partial !== 0n) check('cuGraphDestroy', api.cuGraphDestroy(partial));
    } catch {
      // the launch error is the one worth reporting; a broken capture also ends here
    }
    throw e;
  }
  const graph = outHandle((p) => check('cuStreamEndCapture', api.cuStreamEndCapture(stream, p)));
  try {
    const exec = outHandle((p) =>
      check('cuGraphInstantiateWithFlags', api.cuGraphInstantiateWithFlags(p, graph, 0)),
    );
    return new CudaGraph(owner, graph, exec, launches.length);
  } catch (e) {
    try {
      check('cuGraphDestroy', api.cuGraphDestroy(graph));
    } catch {
      // keep the instantiation error
    }
    throw e;
  }
}

/**
 * Enqueues `count` replays, each between its own pair of events, behind the hold kernel (so the
 * host's enqueueing does not open gaps inside a timed replay). Returns the last event and how to
 * read each replay's milliseconds once it has completed.
 */
export function enqueueReplays(
  cu: CudaDriver['cu'],
  api: GraphApi,
  stream: Handle,
  graph: CudaGraph,
  count: number,
  events: readonly Handle[],
  hold: HoldKernel,
): { last: Handle; times: () => number[] } {
  // Three driver calls per replay (two event records and the launch).
  enqueueHold(cu, stream, hold, 3 * count);
  const start = (i: number) => events[2 * i] as Handle;
  const end = (i: number) => events[2 * i + 1] as Handle;
  for (let i = 0; i < count; i++) {
    check('cuEventRecord', cu.cuEventRecord(start(i), stream));
    check('cuGraphLaunch', api.cuGraphLaunch(graph.exec, stream));
    check('cuEventRecord', cu.cuEventRecord(end(i), stream));
  }
  const times = () =>
    Array.from({ length: count }, (_, i) =>
      outFloat((p) => check('cuEventElapsedTime', cu.cuEventElapsedTime(p, start(i), end(i)))),
    );
  return { last: end(count - 1), times };
}

/**
 * Enqueues `replays` replays of `graph` as one timed span between two events, behind the hold
 * kernel. Returns the last event and the mean milliseconds per captured launch once it completed.
 */
export function enqueueTimedReplays(
  cu: CudaDriver['cu'],
  api: GraphApi,
  stream: Handle,
  graph: CudaGraph,
  replays: number,
  events: readonly [Handle, Handle],
  hold: HoldKernel,
): { last: Handle; meanMs: () => number } {
  const [start, end] = events;
  enqueueHold(cu, stream, hold, replays + 2);
  check('cuEventRecord', cu.cuEventRecord(start, stream));
  for (let i = 0; i < replays; i++) check('cuGraphLaunch', api.cuGraphLaunch(graph.exec, stream));
  check('cuEventRecord', cu.cuEventRecord(end, stream));
  const meanMs = () =>
    outFloat((p) => check('cuEventElapsedTime', cu.cuEventElapsedTime(p, start, end))) /
    (replays * graph.launches);
  return { last: end, meanMs };
}

/** Destroys the instantiation, then the graph; returns the errors met (for close). */
export function destroyCudaGraph(api: GraphApi, graph: CudaGraph): unknown[] {
  const errors: unknown[] = [];
  if (graph.destroyed) return errors;
  graph.destroyed = true;
  for (const [call, run] of [
    ['cuGraphExecDestroy', () => api.cuGraphExecDestroy(graph.exec)],
    ['cuGraphDestroy', () => api.cuGraphDestroy(graph.graph)],
  ] as const) {
    try {
      check(call, run());
    } catch (e) {
      errors.push(e);
    }
  }
  return errors;
}
