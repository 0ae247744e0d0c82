import type { Random } from '../rng.ts';
import type { Distribution } from './distribution.ts';

/** Exponential with the given mean (memoryless service or inter-arrival times). */
export function exponential(mean: number): Distribution {
  return {
    kind: 'exponential',
    mean,
    sample: (rng: Random) => -mean * Math.log(1 - rng()),
  };
}
