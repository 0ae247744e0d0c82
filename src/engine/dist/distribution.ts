import type { Random } from '../rng.ts';

/**
 * A distribution of non-negative numbers (durations in ms, token counts, rates). `sample` draws
 * with the caller's stream, so the caller decides which stream pays for the draw (d3's
 * `shuffler(random)` idea).
 */
export interface Distribution {
  /** The `dist:` name in a scenario. */
  readonly kind: string;
  /** Exact mean (used for Little's-law sizing, validation tests and reports). */
  readonly mean: number;
  sample(rng: Random): number;
}

/** Inverse CDF of the standard normal at 0.99, to turn (median, p99) into lognormal sigma. */
export const Z_99 = 2.3263478740408408;

/** One standard normal draw (Box-Muller; uses two uniforms and discards the twin). */
export function standardNormal(rng: Random): number {
  const u1 = 1 - rng(); // (0, 1]: log stays finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
