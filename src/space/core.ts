/** The part of a space every operation shares: knob domains, value lookup, validity, keys. */
import { SlicetuneError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { knobDomain, valueText } from './knobs.js';
import type { Config, Knob, KnobValue } from './types.js';

/** A validity rule: null when the config is fine, else the reason it is not (for logs and errors). */
export type Constraint = (config: Config) => string | null;

export class SpaceCore {
  readonly domains: readonly (readonly KnobValue[])[];
  private readonly splitIndex: (Map<string, number> | null)[];
  private readonly knobNames: Set<string>;

  constructor(
    readonly name: string,
    readonly knobs: readonly Knob[],
    readonly constraints: readonly Constraint[],
  ) {
    this.knobNames = new Set();
    for (const knob of knobs) {
      if (this.knobNames.has(knob.name)) {
        throw new SlicetuneError('INTERNAL', `space ${name}: knob "${knob.name}" is declared twice`);
      }
      this.knobNames.add(knob.name);
    }
    this.domains = knobs.map(knobDomain);
    this.splitIndex = knobs.map((knob, k) =>
      knob.kind === 'split' ? new Map(this.domain(k).map((v, i) => [valueText(v), i])) : null,
    );
  }

  domain(k: number): readonly KnobValue[] {
    return this.domains[k] as readonly KnobValue[];
  }

  knob(k: number): Knob {
    return this.knobs[k] as Knob;
  }

  /** Position of `value` in knob k's domain, or -1 when it is not a value of that knob. */
  indexOf(k: number, value: KnobValue | undefined): number {
    const knob = this.knob(k);
    if (knob.kind === 'split') {
      if (!Array.isArray(value) || !value.every((f) => typeof f === 'number')) return -1;
      return this.splitIndex[k]?.get(valueText(value)) ?? -1;
    }
    if (knob.kind === 'bool') return value === true ? 1 : value === false ? 0 : -1;
    return typeof value === 'number' || typeof value === 'string' ? knob.options.indexOf(value) : -1;
  }

  /** Why the config's knob values are malformed (missing, unknown, outside a domain), or null. */
  domainReason(config: Config): string | null {
    for (let k = 0; k < this.knobs.length; k++) {
      const knob = this.knob(k);
      const value = config[knob.name];
      if (value === undefined) return `missing knob "${knob.name}"`;
      if (this.indexOf(k, value) < 0) return `knob "${knob.name}": ${describeBadValue(knob, value)}`;
    }
    for (const name of Object.keys(config)) {
      if (!this.knobNames.has(name)) return `unknown knob "${name}"`;
    }
    return null;
  }

  invalidReason(config: Config): string | null {
    return this.domainReason(config) ?? this.constraintReason(config);
  }

  /** The first failing constraint of a well-formed config, or null. */
  constraintReason(config: Config): string | null {
    for (const constraint of this.constraints) {
      const reason = constraint(config);
      if (reason !== null) return reason;
    }
    return null;
  }

  /** Failing constraints of a well-formed config: the score the guided search drives to zero. */
  failures(config: Config): number {
    let count = 0;
    for (const constraint of this.constraints) if (constraint(config) !== null) count++;
    return count;
  }

  key(config: Config): string {
    return this.knobs
      .map((knob) => {
        const value = config[knob.name];
        if (value === undefined) {
          throw new SlicetuneError('BAD_OPTION', `space ${this.name}: config lacks knob "${knob.name}"`);
        }
        return `${knob.name}=${valueText(value)}`;
      })
      .join(';');
  }

  fromIndices(indices: readonly number[]): Config {
    const config: Record<string, KnobValue> = {};
    for (let k = 0; k < this.knobs.length; k++) {
      config[this.knob(k).name] = this.domain(k)[indices[k] as number] as KnobValue;
    }
    return config;
  }

  /** A uniform draw over all raw points, valid or not. */
  randomConfig(rng: Rng): Config {
    return this.fromIndices(this.domains.map((d) => rng.int(d.length)));
  }

  /** Knobs with more than one value: the only ones a mutation can change. */
  mutableKnobs(): number[] {
    return this.domains.flatMap((d, k) => (d.length > 1 ? [k] : []));
  }
}

function describeBadValue(knob: Knob, value: KnobValue): string {
  const got = JSON.stringify(value);
  switch (knob.kind) {
    case 'split': {
      const bounds = knob.maxFactors ? ` within [${knob.maxFactors.map(String).join(',')}]` : '';
      return `${got} is not ${knob.parts} factors of ${knob.extent}${bounds}`;
    }
    case 'choice':
      return `${got} is not one of ${knob.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'bool':
      return `${got} is not a boolean`;
  }
}
