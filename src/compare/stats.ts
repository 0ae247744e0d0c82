/**
 * Statistics for comparisons across seeds: means with 95% confidence intervals (Student t) and
 * paired differences. Seeds give common random numbers (the same offered traffic for every
 * policy), so policies are compared seed by seed: the paired difference has far less noise than
 * the two means.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  return df >= 1 && df <= 30 ? T975[df - 1]! : 1.96;
}

export interface Estimate {
  mean: number;
  /** Half-width of the 95% confidence interval (0 with fewer than two values). */
  ci95: number;
  n: number;
}

export function estimate(values: readonly number[]): Estimate {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return { mean: Number.NaN, ci95: Number.NaN, n: 0 };
  if (xs.length === 1) return { mean: xs[0]!, ci95: 0, n: 1 };
  const sd = sampleStandardDeviation(xs);
  return { mean: mean(xs), ci95: (tQuantile975(xs.length - 1) * sd) / Math.sqrt(xs.length), n: xs.length };
}

/**
 * Paired difference a - b over seeds: its mean, 95% CI, and whether the CI excludes 0
 * (significant at 5%, two-sided).
 */
export function pairedDifference(
  a: readonly number[],
  b: readonly number[],
): Estimate & { significant: boolean } {
  const d: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) d.push(a[i]! - b[i]!);
  const e = estimate(d);
  // The 95% interval excludes 0 (with n >= 2 the half-width is finite and >= 0).
  const significant = e.n >= 2 && Math.abs(e.mean) > e.ci95;
  return { ...e, significant };
}
