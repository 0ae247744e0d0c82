import type { RateModifier } from './modifier.ts';

/** On/off bursts: `multiplier` during each `on` phase, 1 during `off`, from `start` to `end`. */
export function bursts(o: {
  on: number;
  off: number;
  multiplier: number;
  start: number;
  end?: number;
}): RateModifier {
  const period = o.on + o.off;
  const end = o.end ?? Number.POSITIVE_INFINITY;
  const value = (t: number) => (t >= o.start && t < end && (t - o.start) % period < o.on ? o.multiplier : 1);
  return {
    value,
    maxOver(a, b) {
      if (b < o.start || a >= end) return 1;
      const from = Math.max(a, o.start);
      // An on-phase overlaps [from, b] if `from` is in one or the next one starts by b.
      const phase = (from - o.start) % period;
      const overlaps = phase < o.on || from + (period - phase) <= Math.min(b, end);
      return overlaps ? Math.max(1, o.multiplier) : Math.max(1, value(a));
    },
  };
}
