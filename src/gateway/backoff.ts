import type { Random } from '../engine/rng.ts';
import type { BackoffConfig } from '../scenario/schema.ts';

/**
 * Delay before retry number `retry` (1 for the first retry), after AWS's "Exponential Backoff And
 * Jitter" (Brooker, 2015): exponential = min(cap, base x multiplier^(retry-1)); full jitter draws
 * U(0, exponential); equal jitter exponential/2 + U(0, exponential/2); decorrelated
 * min(cap, U(base, 3 x previous delay)). `previousMs` is the last delay used (decorrelated only).
 */
export function backoffDelay(config: BackoffConfig, retry: number, previousMs: number, rng: Random): number {
  const exp = Math.min(config.cap, config.base * config.multiplier ** (retry - 1));
  switch (config.jitter) {
    case 'none':
      return exp;
    case 'full':
      return rng() * exp;
    case 'equal':
      return exp / 2 + (rng() * exp) / 2;
    case 'decorrelated': {
      const prev = Math.max(config.base, previousMs);
      return Math.min(config.cap, config.base + rng() * (3 * prev - config.base));
    }
  }
}
