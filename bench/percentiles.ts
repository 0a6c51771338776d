/** Shared by the benches: nearest-rank percentiles and rounding for the JSON results. */

/** The `p`th percentile (nearest rank) of `sorted`, which must be sorted ascending and not empty. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** p50, p90 and p99 of `values` (any order), rounded to `digits`. */
export function percentiles(
  values: readonly number[],
  digits = 1,
): { p50: number; p90: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => round(percentile(sorted, p), digits);
  return { p50: at(50), p90: at(90), p99: at(99) };
}

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
