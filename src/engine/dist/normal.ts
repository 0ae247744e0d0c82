import type { Random } from '../rng.ts';
import { type Distribution, standardNormal } from './distribution.ts';

/**
 * Normal(mean, stddev) truncated below at `min` (default 0), since every quantity we sample is
 * non-negative. `mean` reports the untruncated mean: keep stddev well below mean - min.
 */
export function normal(mean: number, stddev: number, min = 0): Distribution {
  return {
    kind: 'normal',
    mean,
    sample: (rng: Random) => Math.max(min, mean + stddev * standardNormal(rng)),
  };
}
