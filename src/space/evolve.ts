/**
 * Mutation and crossover for the evolutionary and annealing strategies. Both always return a
 * valid config: random neighbours first, then every one-knob neighbour, then the guided walk.
 */
import type { Rng } from '../util/rng.js';
import type { SpaceCore } from './core.js';
import { primeFactors, withinBounds } from './knobs.js';
import type { Sampler } from './sample.js';
import type { Config, Knob, KnobValue } from './types.js';
import { guidedWalk } from './walk.js';

const MUTATION_TRIES = 64;
const CROSSOVER_TRIES = 8;
/** Share of mutations that change two knobs instead of one. */
const TWO_KNOB_RATE = 0.2;
/** Share of split mutations that move one prime factor between two parts (TVM style). */
const FACTOR_MOVE_RATE = 0.7;

export function mutate(core: SpaceCore, sampler: Sampler, config: Config, rng: Rng): Config {
  const mutable = core.mutableKnobs();
  if (mutable.length === 0) return core.invalidReason(config) === null ? { ...config } : sampler.sample(rng);
  const parentKey = safeKey(core, config);
  for (let attempt = 0; attempt < MUTATION_TRIES; attempt++) {
    const child: Record<string, KnobValue> = { ...config };
    const changes = mutable.length > 1 && rng.next() < TWO_KNOB_RATE ? 2 : 1;
    for (const k of rng.shuffle([...mutable]).slice(0, changes)) {
      const knob = core.knob(k);
      child[knob.name] = mutateValue(core, k, knob, config[knob.name], rng);
    }
    if (core.invalidReason(child) === null && core.key(child) !== parentKey) return child;
  }
  return nearestValid(core, sampler, config, parentKey, rng);
}

export function crossover(core: SpaceCore, sampler: Sampler, a: Config, b: Config, rng: Rng): Config {
  let child: Record<string, KnobValue> = {};
  for (let attempt = 0; attempt < CROSSOVER_TRIES; attempt++) {
    child = {};
    for (const knob of core.knobs) {
      const from = rng.next() < 0.5 ? a : b;
      child[knob.name] = (from[knob.name] ?? a[knob.name] ?? b[knob.name]) as KnobValue;
    }
    if (core.invalidReason(child) === null) return child;
  }
  return repair(core, sampler, child, rng);
}

function safeKey(core: SpaceCore, config: Config): string | null {
  return core.domainReason(config) === null ? core.key(config) : null;
}

function mutateValue(
  core: SpaceCore,
  k: number,
  knob: Knob,
  value: KnobValue | undefined,
  rng: Rng,
): KnobValue {
  const domain = core.domain(k);
  const index = core.indexOf(k, value);
  if (index < 0) return rng.pick(domain);
  switch (knob.kind) {
    case 'bool':
      return !value;
    case 'split': {
      const moved = rng.next() < FACTOR_MOVE_RATE ? moveFactor(value as readonly number[], knob, rng) : null;
      if (moved && core.indexOf(k, moved) >= 0) return moved;
      return domain[otherIndex(index, domain.length, rng)] as KnobValue;
    }
    case 'choice': {
      // Half the time a neighbouring option: choices are usually ordered (unroll 1, 2, 4, 8).
      const step = rng.next() < 0.5 ? (rng.next() < 0.5 ? -1 : 1) : 0;
      const near = index + step;
      if (step !== 0 && near >= 0 && near < domain.length) return domain[near] as KnobValue;
      return domain[otherIndex(index, domain.length, rng)] as KnobValue;
    }
  }
}

/** Moves one prime factor from one part to another: [4, 2, 8] -> [2, 4, 8]. */
function moveFactor(factors: readonly number[], knob: Extract<Knob, { kind: 'split' }>, rng: Rng) {
  const donors = factors.flatMap((f, i) => (f > 1 ? [i] : []));
  if (donors.length === 0 || factors.length < 2) return null;
  const from = rng.pick(donors);
  const prime = rng.pick(primeFactors(factors[from] as number));
  let to = rng.int(factors.length - 1);
  if (to >= from) to++;
  const moved = [...factors];
  moved[from] = (moved[from] as number) / prime;
  moved[to] = (moved[to] as number) * prime;
  return withinBounds(moved, knob.maxFactors) ? moved : null;
}

function otherIndex(index: number, size: number, rng: Rng): number {
  const other = rng.int(size - 1);
  return other >= index ? other + 1 : other;
}

/** Every one-knob neighbour in random order, then the guided walk, then a fresh sample. */
function nearestValid(core: SpaceCore, sampler: Sampler, config: Config, parentKey: string | null, rng: Rng) {
  for (const k of rng.shuffle(core.mutableKnobs())) {
    const name = core.knob(k).name;
    for (const value of rng.shuffle([...core.domain(k)])) {
      const child = { ...config, [name]: value };
      if (core.invalidReason(child) === null && core.key(child) !== parentKey) return child;
    }
  }
  return repair(core, sampler, config, rng);
}

/** A valid config near `config`: values outside their domain are redrawn, then the guided walk. */
function repair(core: SpaceCore, sampler: Sampler, config: Config, rng: Rng): Config {
  const start: Record<string, KnobValue> = {};
  core.knobs.forEach((knob, k) => {
    const value = config[knob.name];
    start[knob.name] = core.indexOf(k, value) >= 0 ? (value as KnobValue) : rng.pick(core.domain(k));
  });
  return guidedWalk(core, start, rng) ?? sampler.sample(rng);
}
