/**
 * Distributions, one per file, each a factory returning a `Distribution`.
 * Reading guide: `distribution.ts` (the interface), then `spec.ts` (scenario spec -> instance).
 */
export { deterministic } from './deterministic.ts';
export { type Distribution, standardNormal, Z_99 } from './distribution.ts';
export { empirical } from './empirical.ts';
export { exponential } from './exponential.ts';
export { gamma, standardGamma } from './gamma.ts';
export { lognormal, lognormalFromQuantiles } from './lognormal.ts';
export { normal } from './normal.ts';
export { normalCdf, normalQuantile } from './normal-cdf.ts';
export { createDistribution, type DistributionSpec } from './spec.ts';
export { uniform } from './uniform.ts';
