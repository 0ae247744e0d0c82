import { deterministic } from './deterministic.ts';
import type { Distribution } from './distribution.ts';
import { empirical } from './empirical.ts';
import { exponential } from './exponential.ts';
import { gamma } from './gamma.ts';
import { lognormal, lognormalFromQuantiles } from './lognormal.ts';
import { normal } from './normal.ts';
import { uniform } from './uniform.ts';

/**
 * A validated distribution spec, in the unit of the field that holds it (ms for durations,
 * tokens for sizes, tokens/s for rates). The scenario schema produces these.
 */
export type DistributionSpec =
  | { dist: 'deterministic'; value: number }
  | { dist: 'exponential'; mean: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'normal'; mean: number; stddev: number }
  | { dist: 'lognormal'; median: number; p99: number }
  | { dist: 'lognormal'; mu: number; sigma: number }
  | { dist: 'gamma'; mean: number; cv: number }
  | { dist: 'empirical'; values: readonly number[] };

/** Builds the sampler for a validated spec. */
export function createDistribution(spec: DistributionSpec): Distribution {
  switch (spec.dist) {
    case 'deterministic':
      return deterministic(spec.value);
    case 'exponential':
      return exponential(spec.mean);
    case 'uniform':
      return uniform(spec.min, spec.max);
    case 'normal':
      return normal(spec.mean, spec.stddev);
    case 'lognormal':
      return 'median' in spec
        ? lognormalFromQuantiles(spec.median, spec.p99)
        : lognormal(spec.mu, spec.sigma);
    case 'gamma':
      return gamma(spec.mean, spec.cv);
    case 'empirical':
      return empirical(spec.values);
  }
}
