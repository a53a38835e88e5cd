/**
 * The tuned-at x run-at latency matrix (from `slicetune sweep`), an optional input of the report:
 * `--matrix file.json`. Validated here so a wrong file is refused with the field at fault.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SlicetuneError } from '../util/errors.js';

const share = z.number().positive().max(100);

export const latencyMatrixSchema = z
  .object({
    model: z.string().min(1),
    /** Shares, percent: tuned-at rows and run-at columns use the same list. */
    shares: z.array(share).min(1),
    /** latencyMs[tunedAt][runAt], milliseconds. */
    latencyMs: z.array(z.array(z.number().positive())),
    /** Another framework's latency at some shares (PyTorch, when its figures were given). */
    peer: z.array(z.object({ share, ms: z.number().positive() })).optional(),
    peerLabel: z.string().min(1).optional(),
    /** True when the latencies come from the simulated GPU. */
    simulated: z.boolean().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.latencyMs.length !== m.shares.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['latencyMs'],
        message: `needs one row per share (${m.shares.length}), got ${m.latencyMs.length}`,
      });
    }
    m.latencyMs.forEach((row, i) => {
      if (row.length !== m.shares.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['latencyMs', i],
          message: `needs one column per share (${m.shares.length}), got ${row.length}`,
        });
      }
    });
  });

export type LatencyMatrix = z.infer<typeof latencyMatrixSchema>;

export function parseLatencyMatrix(value: unknown, source = 'matrix'): LatencyMatrix {
  const parsed = latencyMatrixSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const why = parsed.error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
  throw new SlicetuneError('BAD_OPTION', `${source} is not a latency matrix: ${why}`);
}

export function loadLatencyMatrix(path: string): LatencyMatrix {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SlicetuneError('NOT_FOUND', `cannot read --matrix file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SlicetuneError('BAD_OPTION', `--matrix file ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseLatencyMatrix(value, `--matrix file ${path}`);
}
