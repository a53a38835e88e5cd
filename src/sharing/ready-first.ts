/**
 * Compiles a batch and hands over what is ready, not waiting long on its stragglers. NVRTC
 * times are heavy-tailed: on the H100 host, configs the model strategy chose compiled in 0.3 s
 * on average (p90 0.6 s) with a tail to 10-18 s (bench/sharing, 2026-11-27); a batch that
 * waits for its slowest kernel holds its lane, and at the end of a run the whole run, for that
 * long. So once most of a batch is compiled, the rest get as long again as the bulk took (at
 * least MIN_GRACE_MS); whatever is still compiling then is left out of this batch. It keeps
 * compiling (the builder caches the outcome, up to its build timeout), and a later proposal of
 * the same config picks it up at once.
 * The baseline (the classic AutoTVM loop) waits for the whole batch, as AutoTVM does.
 */
import type { MeasureSession, Prepared } from '../measure/session.js';
import type { MeasureInput } from '../measure/types.js';

/** Share of a batch that must be compiled before its stragglers get a deadline. */
const BULK_SHARE = 0.75;
const MIN_GRACE_MS = 250;

/** Prepared inputs in input order; with `waitForAll` false, those compiled in time only. */
export function prepareReadyFirst(
  session: MeasureSession,
  inputs: readonly MeasureInput[],
  waitForAll: boolean,
): Promise<Prepared[]> {
  if (waitForAll || inputs.length <= 1) return session.prepare(inputs);
  const started = Date.now();
  const bulk = Math.ceil(inputs.length * BULK_SHARE);
  const settled: (Prepared | undefined)[] = inputs.map(() => undefined);
  let done = 0;
  return new Promise<Prepared[]>((resolve, reject) => {
    let grace: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(grace);
      resolve(settled.filter((p): p is Prepared => p !== undefined));
    };
    inputs.forEach((input, i) => {
      session.prepare([input]).then(([p]) => {
        settled[i] = p;
        done++;
        if (done === inputs.length) finish();
        else if (done >= bulk && grace === undefined) {
          grace = setTimeout(finish, Math.max(MIN_GRACE_MS, Date.now() - started));
        }
      }, reject);
    });
  });
}
