/**
 * POST /api/jobs: the body, validated with zod. Every refusal names the field, says what it must
 * be and what it got; an unknown field is refused (a typo must not silently fall back to a default).
 */
import { z } from 'zod';
import { SLICE_MECHANISMS, type SliceMechanism } from '../gpu/types.js';
import { MEASURE_PROTOCOL_NAMES } from '../measure/types.js';
import { STRATEGY_NAMES } from '../search/strategies/index.js';
import { HttpError } from './http-error.js';

const MAX_TRIALS = 100_000;
const MAX_WORKERS = 64;

const positiveInt = (max: number, what: string) =>
  z
    .number({ error: `must be ${what}, an integer from 1 to ${max}` })
    .int(`must be ${what}, an integer from 1 to ${max}`)
    .min(1, `must be ${what}, an integer from 1 to ${max}`)
    .max(max, `must be ${what}, an integer from 1 to ${max}`);

export const jobRequestSchema = z
  .object({
    model: z.string({ error: 'must be the name of a zoo model' }).min(1, 'must be the name of a zoo model'),
    share: z
      .number({ error: 'must be a percentage of the GPU in (0, 100]' })
      .gt(0, 'must be a percentage of the GPU in (0, 100]')
      .max(100, 'must be a percentage of the GPU in (0, 100]'),
    trials: positiveInt(MAX_TRIALS, 'the trials per task'),
    strategy: z.enum(STRATEGY_NAMES, { error: `must be one of ${STRATEGY_NAMES.join(', ')}` }).optional(),
    sharing: z
      .enum(SLICE_MECHANISMS as [SliceMechanism, ...SliceMechanism[]], {
        error: `must be one of ${SLICE_MECHANISMS.join(', ')}`,
      })
      .optional(),
    servers: positiveInt(MAX_WORKERS, 'the number of measurement servers').optional(),
    clients: positiveInt(MAX_WORKERS, 'the number of tuning clients').optional(),
    baseline: z.boolean({ error: 'must be true or false' }).optional(),
    measure: z
      .enum(MEASURE_PROTOCOL_NAMES, { error: `must be one of ${MEASURE_PROTOCOL_NAMES.join(', ')}` })
      .optional(),
    user: z
      .string({ error: 'must be a name of 1 to 64 characters' })
      .min(1, 'must be a name of 1 to 64 characters')
      .max(64, 'must be a name of 1 to 64 characters')
      .optional(),
    seed: z
      .number({ error: 'must be a non-negative integer' })
      .int('must be a non-negative integer')
      .min(0, 'must be a non-negative integer')
      .optional(),
  })
  .strict();

export type JobRequest = z.infer<typeof jobRequestSchema>;

export const JOB_REQUEST_FIELDS = Object.keys(jobRequestSchema.shape);

/** The request, or an HttpError 400 naming the first field at fault. */
export function parseJobRequest(body: unknown): JobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(
      400,
      `the request body must be a JSON object with the fields ${JOB_REQUEST_FIELDS.join(', ')}`,
    );
  }
  const parsed = jobRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new HttpError(400, 'invalid job request');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    throw new HttpError(
      400,
      `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')} (accepted: ${JOB_REQUEST_FIELDS.join(', ')})`,
      keys[0],
    );
  }
  const field = String(issue.path[0] ?? '');
  const given = (body as Record<string, unknown>)[field];
  const got = given === undefined ? 'it is missing' : `got ${JSON.stringify(given)}`;
  throw new HttpError(400, `${field} ${issue.message}, ${got}`, field);
}
