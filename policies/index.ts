/**
 * The built-in policies: this list is the registry the CLI and the scenario validator quote.
 * To add one, see docs/contributing/extension-recipes.md.
 */
import aimd from './aimd.ts';
import alwaysAdmit from './always-admit.ts';
import cascade from './cascade.ts';
import circuitBreaker from './circuit-breaker.ts';
import codel from './codel.ts';
import concurrencyLimit from './concurrency-limit.ts';
import cooldown from './cooldown.ts';
import costAware from './cost-aware.ts';
import deadlineQueue from './deadline-queue.ts';
import endpointPicker from './endpoint-picker.ts';
import envoyGradient from './envoy-gradient.ts';
import gradient from './gradient.ts';
import gradient2 from './gradient2.ts';
import leastOutstanding from './least-outstanding.ts';
import modelSelection from './model-selection.ts';
import outlierEjection from './outlier-ejection.ts';
import peakEwma from './peak-ewma.ts';
import powerOfTwoChoices from './power-of-two-choices.ts';
import precisePrefixScorer from './precise-prefix-scorer.ts';
import prefixAffinity from './prefix-affinity.ts';
import prefixScorer from './prefix-scorer.ts';
import priorityShedding from './priority-shedding.ts';
import random from './random.ts';
import rateLimitAware from './rate-limit-aware.ts';
import roundRobin from './round-robin.ts';
import sreThrottle from './sre-throttle.ts';
import thresholdRouter from './threshold-router.ts';
import tokenBucket from './token-bucket.ts';
import vegas from './vegas.ts';
import windowed from './windowed.ts';

export const builtinPolicies = [
  // routing
  roundRobin,
  random,
  leastOutstanding,
  powerOfTwoChoices,
  peakEwma,
  costAware,
  rateLimitAware,
  endpointPicker,
  prefixAffinity,
  prefixScorer,
  precisePrefixScorer,
  modelSelection,
  thresholdRouter,
  cascade,
  // admission
  alwaysAdmit,
  concurrencyLimit,
  tokenBucket,
  aimd,
  vegas,
  gradient2,
  envoyGradient,
  codel,
  sreThrottle,
  priorityShedding,
  deadlineQueue,
  gradient,
  windowed,
  // health
  circuitBreaker,
  outlierEjection,
  cooldown,
] as const;
