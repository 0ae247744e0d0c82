import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../src/engine/rng.ts';
import { backoffDelay } from '../../src/gateway/backoff.ts';
import type { BackoffConfig } from '../../src/scenario/schema.ts';

const config = (o: Partial<BackoffConfig> = {}): BackoffConfig => ({
  base: 100,
  cap: 10_000,
  multiplier: 2,
  jitter: 'full',
  ...o,
});

const configArb = fc.record({
  base: fc.double({ min: 0, max: 5000, noNaN: true }),
  cap: fc.double({ min: 0, max: 60_000, noNaN: true }),
  multiplier: fc.double({ min: 1, max: 4, noNaN: true }),
  jitter: fc.constantFrom('none', 'full', 'equal', 'decorrelated') as fc.Arbitrary<BackoffConfig['jitter']>,
});
/** A stream of uniforms in [0, 1), as the engine's RNG streams give. */
const rngArb = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 });

function streamOf(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('backoffDelay', () => {
  it("grows exponentially up to the cap with jitter 'none', exactly", () => {
    const c = config({ jitter: 'none', base: 100, multiplier: 2, cap: 1000 });
    const rng = () => {
      throw new Error("'none' draws nothing");
    };
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(c, retry, 0, rng))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(config({ jitter: 'none', base: 250, multiplier: 3, cap: 1e9 }), 3, 0, rng)).toBe(
      2250,
    );
  });

  it("draws uniformly below the exponential delay with 'full', and in its upper half with 'equal'", () => {
    const full = config({ jitter: 'full', base: 100, cap: 10_000 });
    const equal = config({ jitter: 'equal', base: 100, cap: 10_000 });
    expect(backoffDelay(full, 3, 0, () => 0)).toBe(0);
    expect(backoffDelay(full, 3, 0, () => 0.25)).toBe(100);
    expect(backoffDelay(equal, 3, 0, () => 0)).toBe(200);
    expect(backoffDelay(equal, 3, 0, () => 0.5)).toBe(300);
  });

  it("draws between base and 3 x the previous delay with 'decorrelated', capped", () => {
    const c = config({ jitter: 'decorrelated', base: 100, cap: 1000 });
    expect(backoffDelay(c, 1, 0, () => 0)).toBe(100);
    expect(backoffDelay(c, 1, 0, () => 0.5)).toBe(200); // previous below base counts as base: U(100, 300)
    expect(backoffDelay(c, 2, 200, () => 0.5)).toBe(350); // U(100, 600)
    expect(backoffDelay(c, 5, 900, () => 0.99)).toBe(1000); // capped
  });

  it('stays within the documented range of its jitter for any configuration (property)', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 60_000, noNaN: true }),
        rngArb,
        (c, retry, previous, us) => {
          const d = backoffDelay(c, retry, previous, streamOf(us));
          const exp = Math.min(c.cap, c.base * c.multiplier ** (retry - 1));
          const eps = 1e-9 * Math.max(1, exp, c.cap, previous);
          expect(Number.isFinite(d)).toBe(true);
          expect(d).toBeLessThanOrEqual(Math.max(c.cap, 0) + eps);
          switch (c.jitter) {
            case 'none':
              expect(d).toBe(exp);
              break;
            case 'full':
              expect(d).toBeGreaterThanOrEqual(0);
              expect(d).toBeLessThanOrEqual(exp + eps);
              break;
            case 'equal':
              expect(d).toBeGreaterThanOrEqual(exp / 2 - eps);
              expect(d).toBeLessThanOrEqual(exp + eps);
              break;
            case 'decorrelated': {
              const prev = Math.max(c.base, previous);
              expect(d).toBeGreaterThanOrEqual(Math.min(c.base, c.cap) - eps);
              expect(d).toBeLessThanOrEqual(Math.min(c.cap, 3 * prev) + eps);
              break;
            }
          }
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
  });

  it("has mean exp/2 with 'full' and 3/4 exp with 'equal' over many draws", () => {
    const rng = new RngStreams(1).get('backoff');
    const n = 20_000;
    const mean = (jitter: BackoffConfig['jitter']) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += backoffDelay(config({ jitter, base: 100 }), 4, 0, rng);
      return s / n;
    };
    // exp = 800; U(0, 800) has sd 231, so the mean's sd is 1.6.
    expect(Math.abs(mean('full') - 400)).toBeLessThan(10);
    expect(Math.abs(mean('equal') - 600)).toBeLessThan(5);
  });
});
