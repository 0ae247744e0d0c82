/**
 * The built-in policies: this list is the registry the CLI and the scenario validator quote.
 * To add one, see docs/contributing/extension-recipes.md.
 */
import alwaysAdmit from './always-admit.ts';
import concurrencyLimit from './concurrency-limit.ts';
import leastOutstanding from './least-outstanding.ts';
import random from './random.ts';
import roundRobin from './round-robin.ts';

export const builtinPolicies = [roundRobin, random, leastOutstanding, alwaysAdmit, concurrencyLimit] as const;
