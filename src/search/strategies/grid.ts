/** Grid search: the space in its enumeration order, skipping what was measured already. */
import type { Config } from '../../space/types.js';
import type { SearchContext, Strategy, StrategyFactory } from '../types.js';

export const grid: StrategyFactory = (): Strategy => {
  let cursor: Iterator<Config> | undefined;
  return {
    name: 'grid',
    propose(n: number, ctx: SearchContext): Config[] {
      cursor ??= ctx.space.enumerate()[Symbol.iterator]();
      const picked: Config[] = [];
      const seen = new Set<string>();
      while (picked.length < n) {
        const next = cursor.next();
        if (next.done) break;
        const key = ctx.space.key(next.value);
        if (ctx.measuredKeys.has(key) || seen.has(key)) continue;
        seen.add(key);
        picked.push(next.value);
      }
      return picked;
    },
    update: () => {},
  };
};
