import type { Random } from '../rng.ts';
import type { Distribution } from './distribution.ts';

/**
 * Resamples observed values uniformly (each observation equally likely), e.g. prompt lengths
 * from a trace. `values` must be non-empty; it is copied.
 */
export function empirical(values: ArrayLike<number>): Distribution {
  const data = Float64Array.from(values as ArrayLike<number>);
  const n = data.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += data[i]!;
  return {
    kind: 'empirical',
    mean: sum / n,
    sample: (rng: Random) => data[Math.floor(rng() * n)]!,
  };
}
