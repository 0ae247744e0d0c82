import type { RateModifier } from './modifier.ts';

/** 1 + amplitude x cos(2 pi (t - peakAt) / period): a daily wave peaking at `peakAt`. */
export function diurnal(o: { period: number; amplitude: number; peakAt: number }): RateModifier {
  const w = (2 * Math.PI) / o.period;
  const value = (t: number) => 1 + o.amplitude * Math.cos(w * (t - o.peakAt));
  return {
    value,
    maxOver(a, b) {
      // The maximum is at a peak if one lies in [a, b]; elsewhere cos is monotone between extrema.
      const k = Math.ceil((a - o.peakAt) / o.period);
      if (o.peakAt + k * o.period <= b) return 1 + o.amplitude;
      return Math.max(value(a), value(b));
    },
  };
}
