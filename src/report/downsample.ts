/**
 * Downsampling of fixed-interval series, so a long run still gives a small report: `factor`
 * consecutive windows merge into one. Counts are summed (and later divided by the merged
 * window's length into rates), gauges and p99s keep the maximum (a queue spike must not vanish
 * in an average), p50s the mean. Nulls (no data) are skipped; a merged window with no data is null.
 *
 * Example: downsample([1, 2, null, 4, 5], 2, 'sum') = [3, 4, 5].
 */
import type { Num } from './model.ts';

/** How merged windows combine. */
export type Aggregate = 'sum' | 'max' | 'mean';

/** Most plotted windows per series: about one per pixel of a wide chart. */
export const MAX_POINTS = 1500;

/** Windows merged into one so that `n` windows fit in `maxPoints`. */
export function downsampleFactor(n: number, maxPoints = MAX_POINTS): number {
  return Math.max(1, Math.ceil(n / maxPoints));
}

export function downsample(values: readonly Num[], factor: number, agg: Aggregate): Num[] {
  if (factor <= 1) return values.slice();
  const out: Num[] = [];
  for (let i = 0; i < values.length; i += factor) {
    let acc = agg === 'max' ? Number.NEGATIVE_INFINITY : 0;
    let seen = 0;
    for (let j = i; j < Math.min(i + factor, values.length); j++) {
      const v = values[j];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      seen++;
      acc = agg === 'max' ? Math.max(acc, v) : acc + v;
    }
    out.push(seen === 0 ? null : agg === 'mean' ? acc / seen : acc);
  }
  return out;
}

/** Windows actually merged into each output window (the last may be short). */
export function groupSizes(n: number, factor: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += factor) out.push(Math.min(factor, n - i));
  return out;
}
