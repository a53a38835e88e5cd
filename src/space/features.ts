/**
 * Feature vectors for the cost model: per split part log2(factor); per choice its index (and its
 * value when all options are numbers); per bool 0/1; then the template's derived features
 * (threads per block, shared bytes, register estimate...). The length is fixed for one space.
 */
import { SlicetuneError } from '../util/errors.js';
import type { SpaceCore } from './core.js';
import type { Config } from './types.js';

export type FeatureFn = (config: Config) => Record<string, number>;

export class Featurizer {
  private names: string[] | null = null;
  private derivedNames: string[] = [];

  constructor(
    private readonly core: SpaceCore,
    private readonly derived: FeatureFn | undefined,
  ) {}

  featureNames(): string[] {
    if (!this.names) {
      const names: string[] = [];
      for (const knob of this.core.knobs) {
        if (knob.kind === 'split') {
          for (let i = 0; i < knob.parts; i++) names.push(`${knob.name}.${i}`);
        } else if (knob.kind === 'choice') {
          names.push(`${knob.name}.index`);
          if (numericOptions(knob.options)) names.push(knob.name);
        } else {
          names.push(knob.name);
        }
      }
      // The derived names come from the first raw config; every config must give the same names.
      this.derivedNames = this.derived
        ? Object.keys(this.derived(this.core.fromIndices(this.core.knobs.map(() => 0))))
        : [];
      for (const name of this.derivedNames) {
        if (names.includes(name)) {
          throw new SlicetuneError(
            'INTERNAL',
            `space ${this.core.name}: derived feature "${name}" repeats a knob feature`,
          );
        }
        names.push(name);
      }
      this.names = names;
    }
    return [...this.names];
  }

  features(config: Config): number[] {
    if (!this.names) this.featureNames();
    const out: number[] = [];
    this.core.knobs.forEach((knob, k) => {
      const value = config[knob.name];
      if (knob.kind === 'split') {
        for (let i = 0; i < knob.parts; i++) {
          const factor = Array.isArray(value) ? Number(value[i]) : Number.NaN;
          out.push(factor > 0 ? Math.log2(factor) : 0);
        }
      } else if (knob.kind === 'choice') {
        out.push(this.core.indexOf(k, value));
        if (numericOptions(knob.options)) out.push(typeof value === 'number' ? value : 0);
      } else {
        out.push(value === true ? 1 : 0);
      }
    });
    if (this.derived) {
      const values = this.derived(config);
      for (const name of Object.keys(values)) {
        if (!this.derivedNames.includes(name)) {
          throw new SlicetuneError(
            'INTERNAL',
            `space ${this.core.name}: derived feature "${name}" was not announced`,
          );
        }
      }
      for (const name of this.derivedNames) out.push(finite(values[name]));
    }
    return out;
  }
}

function numericOptions(options: readonly (number | string)[]): boolean {
  return options.every((o) => typeof o === 'number');
}

function finite(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
