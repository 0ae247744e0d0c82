import type { Random } from '../rng.ts';
import type { Distribution } from './distribution.ts';

/** Uniform on [min, max). */
export function uniform(min: number, max: number): Distribution {
  const width = max - min;
  return { kind: 'uniform', mean: (min + max) / 2, sample: (rng: Random) => min + width * rng() };
}
