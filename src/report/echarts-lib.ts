/**
 * The ECharts browser bundle, read from node_modules at runtime and inlined into pages, so a
 * report or the dashboard opens without network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SlicetuneError } from '../util/errors.js';

let cached: string | undefined;

export function echartsBundle(): string {
  if (cached !== undefined) return cached;
  // The package's CommonJS entry is dist/echarts.js; the minified bundle sits beside it.
  const entry = createRequire(import.meta.url).resolve('echarts');
  const path = join(dirname(entry), 'echarts.min.js');
  try {
    cached = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SlicetuneError('NOT_FOUND', `cannot read the ECharts bundle ${path}: ${(e as Error).message}`);
  }
  return cached;
}

/** JSON safe inside an inline <script>: no `</script>` or `<!--` can close or confuse it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text safe inside HTML elements and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An inline script; a `</script` inside the code would end it early, so it is escaped. */
export function inlineScript(code: string): string {
  return `<script>${code.replace(/<\/script/gi, '<\\/script')}</script>`;
}
