import type { Random } from '../rng.ts';
import { type Distribution, standardNormal } from './distribution.ts';

/**
 * Gamma with the given mean and coefficient of variation (shape k = 1/cv^2, scale = mean/k).
 * cv 1 is exponential; cv > 1 is burstier, cv < 1 more regular. Sampling is Marsaglia and Tsang
 * (ACM TOMS 2000), with the u^(1/k) boost for k < 1.
 */
export function gamma(mean: number, cv: number): Distribution {
  const shape = 1 / (cv * cv);
  const scale = mean / shape;
  return { kind: 'gamma', mean, sample: (rng: Random) => scale * standardGamma(shape, rng) };
}

/** One draw of Gamma(shape, 1). */
export function standardGamma(shape: number, rng: Random): number {
  if (shape < 1) {
    const u = 1 - rng();
    return standardGamma(shape + 1, rng) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}
