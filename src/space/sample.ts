/**
 * Drawing valid configs. Rejection sampling over the raw product is uniform over the valid
 * configs; when it keeps failing (sparse spaces), small spaces are enumerated once and drawn
 * from exactly, and large ones fall back to the constraint-guided walk (not uniform, but valid).
 */
import { SlicetuneError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { SpaceCore } from './core.js';
import { enumerateValid } from './enumerate.js';
import type { Config } from './types.js';
import { guidedWalk } from './walk.js';

const REJECTION_TRIES = 2000;
/** Once a space proved sparse, fewer rejection tries before the fallback. */
const SPARSE_REJECTION_TRIES = 64;
/** Spaces up to this many raw points are enumerated when rejection fails. */
const ENUMERATE_LIMIT = 200_000;
const WALK_RESTARTS = 8;

export class Sampler {
  private sparse = false;
  private validList: Config[] | null = null;
  private readonly reasons = new Map<string, number>();

  constructor(
    private readonly core: SpaceCore,
    private readonly rawSize: number,
  ) {}

  sample(rng: Rng): Config {
    const tries = this.sparse ? SPARSE_REJECTION_TRIES : REJECTION_TRIES;
    for (let i = 0; i < tries; i++) {
      const config = this.core.randomConfig(rng);
      const reason = this.core.constraintReason(config);
      if (reason === null) return config;
      if (this.reasons.size < 1000 || this.reasons.has(reason)) {
        this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
      }
    }
    this.sparse = true;
    if (this.rawSize <= ENUMERATE_LIMIT) {
      this.validList ??= [...enumerateValid(this.core)];
      if (this.validList.length > 0) return rng.pick(this.validList);
      throw this.noValidConfig('none of its configs is valid');
    }
    for (let restart = 0; restart < WALK_RESTARTS; restart++) {
      const found = guidedWalk(this.core, this.core.randomConfig(rng), rng);
      if (found) return found;
    }
    throw this.noValidConfig(
      `no valid config found in ${tries} random draws and ${WALK_RESTARTS} guided searches`,
    );
  }

  private noValidConfig(why: string): SlicetuneError {
    const common = [...this.reasons.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([reason, count]) => `${reason} (${count}x)`);
    return new SlicetuneError(
      'UNSUPPORTED_OP',
      `space ${this.core.name}: ${why}; most common reasons: ${common.join('; ') || 'none recorded'}`,
    );
  }
}
