/** Asserts that a call throws a SlicetuneError with this code and these message fragments. */
import { expect } from 'vitest';
import { isSlicetuneError } from '../../src/util/errors.js';

export function expectSlicetuneError(fn: () => unknown, code: string, ...fragments: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(isSlicetuneError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    for (const fragment of fragments) expect((e as Error).message).toContain(fragment);
    return;
  }
  expect.fail(`expected a ${code} error`);
}
