export type { Constraint } from './core.js';
export { defineSpace, type SpaceDefinition } from './define.js';
export type { FeatureFn } from './features.js';
export { factorizations, primeFactors } from './knobs.js';
export * from './types.js';
export { boolValue, choiceValue, splitValue } from './values.js';
