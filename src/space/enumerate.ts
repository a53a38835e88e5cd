/** Walking the raw product of the knobs in a fixed order: declared order, last knob fastest. */
import type { SpaceCore } from './core.js';
import type { Config } from './types.js';

export function* enumerateRaw(core: SpaceCore): Generator<Config> {
  const sizes = core.domains.map((d) => d.length);
  const indices = sizes.map(() => 0);
  if (sizes.some((s) => s === 0)) return;
  while (true) {
    yield core.fromIndices(indices);
    let k = indices.length - 1;
    while (k >= 0) {
      indices[k] = (indices[k] as number) + 1;
      if ((indices[k] as number) < (sizes[k] as number)) break;
      indices[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}

export function* enumerateValid(core: SpaceCore): Generator<Config> {
  for (const config of enumerateRaw(core)) {
    if (core.constraintReason(config) === null) yield config;
  }
}
