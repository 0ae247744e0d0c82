/**
 * A rate multiplier over time (spikes, diurnal waves, bursts). `maxOver` is an upper bound of
 * `value` on [t0, t1], which the Poisson thinning uses as its candidate rate.
 */
export interface RateModifier {
  value(tMs: number): number;
  maxOver(t0Ms: number, t1Ms: number): number;
}
