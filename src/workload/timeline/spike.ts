import type { RateModifier } from './modifier.ts';

export interface SpikeOptions {
  at: number;
  multiplier: number;
  rampUp: number;
  hold: number;
  rampDown: number;
}

/**
 * A trapezoid: 1 before `at`, rising linearly to `multiplier` over `rampUp`, held for `hold`,
 * falling back to 1 over `rampDown`. Example: at 5m, x3, ramps 10s, hold 2m -> 3x from 5m10s
 * to 7m10s.
 */
export function spike(o: SpikeOptions): RateModifier {
  const t1 = o.at + o.rampUp;
  const t2 = t1 + o.hold;
  const t3 = t2 + o.rampDown;
  const m = o.multiplier;
  const value = (t: number) => {
    if (t < o.at || t >= t3) return 1;
    if (t < t1) return 1 + ((m - 1) * (t - o.at)) / o.rampUp;
    if (t < t2) return m;
    return m + ((1 - m) * (t - t2)) / o.rampDown;
  };
  return {
    value,
    maxOver(a, b) {
      if (b < o.at || a >= t3) return 1;
      if (a < t2 && b >= t1) return Math.max(1, m);
      return Math.max(value(a), value(b), 1);
    },
  };
}
