import type { Random } from '../rng.ts';
import { type Distribution, standardNormal, Z_99 } from './distribution.ts';

/** Lognormal from the log-space parameters: exp(mu + sigma Z). */
export function lognormal(mu: number, sigma: number): Distribution {
  return {
    kind: 'lognormal',
    mean: Math.exp(mu + (sigma * sigma) / 2),
    sample: (rng: Random) => Math.exp(mu + sigma * standardNormal(rng)),
  };
}

/**
 * Lognormal with the given median and 99th percentile, the way latency and token counts are
 * usually quoted: mu = ln(median), sigma = ln(p99 / median) / z(0.99).
 * Example: median 400 ms, p99 1500 ms gives sigma 0.568 and mean 470 ms.
 */
export function lognormalFromQuantiles(median: number, p99: number): Distribution {
  return lognormal(Math.log(median), Math.log(p99 / median) / Z_99);
}
