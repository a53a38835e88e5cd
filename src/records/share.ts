/**
 * The stated rule for `best` at a share that was never tuned: use the nearest tuned share; on a
 * tie, the smaller one, since a kernel tuned for fewer SMs degrades less when it is given more SMs
 * than a kernel tuned for many degrades when it is given fewer.
 */
export const NEAREST_SHARE_RULE = 'nearest tuned share; a tie goes to the smaller share';

/** The tuned share the rule picks for `percent`, or null when nothing was tuned. */
export function nearestTunedShare(tunedShares: readonly number[], percent: number): number | null {
  let chosen: number | null = null;
  for (const share of tunedShares) {
    if (chosen === null) {
      chosen = share;
      continue;
    }
    const distance = Math.abs(share - percent);
    const chosenDistance = Math.abs(chosen - percent);
    if (distance < chosenDistance || (distance === chosenDistance && share < chosen)) chosen = share;
  }
  return chosen;
}

/** What `best` says about the share it answered for. */
export function shareNote(requested: number, tuned: number, context: string): string {
  if (requested === tuned) return `tuned at ${formatPercent(tuned)} ${context}`;
  return (
    `${formatPercent(requested)} was never tuned ${context}; ` +
    `answering with the record tuned at ${formatPercent(tuned)} (rule: ${NEAREST_SHARE_RULE})`
  );
}

export function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}
