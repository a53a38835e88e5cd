/**
 * How many SMs each of n green slices asks for. The driver hands SMs out in groups (8 on
 * sm_90: 33 becomes 40), so four 25% slices of a 132-SM H100 cannot each get 40; they get 32,
 * the largest group multiple that lets all n fit side by side.
 */
export const GREEN_SM_GRANULARITY = 8;

export function greenSmsPerSlice(totalSms: number, slices: number, percent: number): number {
  const g = GREEN_SM_GRANULARITY;
  const wanted = Math.max(g, Math.ceil(Math.round((percent * totalSms) / 100) / g) * g);
  const fits = Math.floor(totalSms / slices / g) * g;
  return Math.max(g, Math.min(wanted, fits));
}
