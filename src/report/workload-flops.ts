/**
 * FLOPs of a workload from its key alone, for GFLOP/s in reports of stores whose runs did not
 * record their tasks. The key is parsed back into a workload and accepted only when that
 * workload's key is the same string, so a key format this parser does not know gives null
 * rather than a wrong number.
 */
import {
  type Activation,
  batchMatmulWorkload,
  conv2dWorkload,
  denseWorkload,
  type Epilogue,
  type Workload,
  workloadFlops,
  workloadKey,
} from '../ops/index.js';

export function flopsOfWorkloadKey(key: string): number | null {
  try {
    const workload = workloadOfKey(key);
    return workload && workloadKey(workload) === key ? workloadFlops(workload) : null;
  } catch {
    // A key the ops layer rejects (a shape it finds invalid) has no FLOP count to report.
    return null;
  }
}

function workloadOfKey(key: string): Workload | null {
  const [base = '', ...suffix] = key.split('+');
  const [op, , ...fields] = base.split('.');
  const num = (prefix: string) => fieldOf(fields, prefix, (v) => Number(v));
  const pair = (prefix: string) => fieldOf(fields, prefix, (v) => v.split('x').map(Number));
  const epilogue = epilogueOf(suffix);
  switch (op) {
    case 'conv2d': {
      const [strideH, strideW] = pair('st');
      const [padH, padW] = pair('pd');
      const [dilationH, dilationW] = pair('dl');
      return conv2dWorkload(
        {
          n: num('n'),
          c: num('c'),
          h: num('h'),
          w: num('w'),
          k: num('k'),
          r: num('r'),
          s: num('s'),
          ...{ strideH, strideW, padH, padW, dilationH, dilationW },
          groups: num('g'),
        },
        epilogue,
      );
    }
    case 'dense':
      return denseWorkload({ m: num('m'), n: num('n'), k: num('k') }, epilogue);
    case 'batch_matmul':
      return batchMatmulWorkload(
        { b: num('b'), m: num('m'), n: num('n'), k: num('k'), transB: num('tb') === 1 },
        epilogue,
      );
    default:
      return null;
  }
}

/** The value of the field `<prefix><digits...>` (the first field whose rest starts with a digit). */
function fieldOf<T>(fields: string[], prefix: string, parse: (value: string) => T): T {
  const field = fields.find((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)));
  if (field === undefined) throw new Error(`no field ${prefix}`);
  return parse(field.slice(prefix.length));
}

function epilogueOf(parts: string[]): Partial<Epilogue> {
  const activation = parts.find((p) => p === 'relu' || p === 'relu6') as Activation | undefined;
  return {
    bnScaleShift: parts.includes('bn'),
    bias: parts.includes('bias'),
    residual: parts.includes('residual'),
    activation: activation ?? 'none',
  };
}
