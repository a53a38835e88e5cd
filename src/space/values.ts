/** Typed reads of knob values from a Config, for templates. Misuse throws BAD_OPTION naming the knob. */
import { SlicetuneError } from '../util/errors.js';
import type { Config } from './types.js';

function missing(name: string, what: string, value: unknown): SlicetuneError {
  return new SlicetuneError(
    'BAD_OPTION',
    `config knob "${name}" must be ${what}, got ${JSON.stringify(value)}`,
  );
}

export function splitValue(config: Config, name: string): number[] {
  const value = config[name];
  if (!Array.isArray(value) || !value.every((f) => typeof f === 'number'))
    throw missing(name, 'a split', value);
  return [...value];
}

export function choiceValue<T extends number | string>(config: Config, name: string): T {
  const value = config[name];
  if (typeof value !== 'number' && typeof value !== 'string') throw missing(name, 'a choice', value);
  return value as T;
}

export function boolValue(config: Config, name: string): boolean {
  const value = config[name];
  if (typeof value !== 'boolean') throw missing(name, 'a bool', value);
  return value;
}
