/**
 * A zod schema for TuningRecord: every record that enters the store (add, import) passes it, so
 * the database never holds a record its readers cannot turn back into a TuningRecord.
 */
import { z } from 'zod';
import { SLICE_MECHANISMS } from '../gpu/types.js';
import { FAILURE_KINDS } from '../measure/types.js';
import { RECORD_FORMAT_VERSION, type TuningRecord } from './types.js';

const nonNegative = z.number().nonnegative();
const text = z.string().min(1);

const knobValueSchema = z.union([z.array(z.number()).readonly(), z.number(), z.string(), z.boolean()]);

const successSchema = z.object({
  ok: z.literal(true),
  timesMs: z.array(nonNegative).min(1),
  medianMs: nonNegative,
  compileMs: nonNegative,
  checked: z.boolean(),
  maxRelError: nonNegative,
  binaryHash: z.string(),
  registers: z.number().int().nonnegative(),
});

const failureSchema = z.object({
  ok: z.literal(false),
  kind: z.enum(FAILURE_KINDS),
  message: z.string(),
  compileMs: nonNegative,
  binaryHash: z.string().optional(),
});

export const tuningRecordSchema = z.object({
  formatVersion: z
    .number()
    .int()
    .min(1)
    .max(
      RECORD_FORMAT_VERSION,
      `record format is newer than this slicetune reads (${RECORD_FORMAT_VERSION})`,
    ),
  taskKey: text,
  workloadKey: text,
  template: text,
  config: z.record(z.string(), knobValueSchema),
  configKey: text,
  slice: z.object({
    mechanism: z.enum(SLICE_MECHANISMS),
    sms: z.number().int().positive(),
    percent: z.number().positive().max(100),
  }),
  result: z.discriminatedUnion('ok', [successSchema, failureSchema]),
  provenance: z.object({
    deviceName: text,
    arch: z.string(),
    driverVersion: z.string(),
    cudaVersion: z.string(),
    slicetuneVersion: z.string(),
    simulated: z.boolean(),
  }),
  timestamp: z.number().int().nonnegative(),
  runId: text,
});

/** Compile-time guard: a field whose type changes in TuningRecord must change here too. */
type AssignableTo<T extends U, U> = T;
export type TuningRecordInput = AssignableTo<TuningRecord, z.input<typeof tuningRecordSchema>>;

/** The issues of a failed parse in one line: `slice.percent: Too big...; runId: ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(record)'}: ${issue.message}`)
    .join('; ');
}

/** A TuningRecord from untrusted data, or the reason it is not one. */
export function parseTuningRecord(value: unknown): { record: TuningRecord } | { error: string } {
  const parsed = tuningRecordSchema.safeParse(value);
  return parsed.success ? { record: parsed.data } : { error: describeIssues(parsed.error) };
}
