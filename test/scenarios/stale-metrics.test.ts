/**
 * The bundled stale-metrics scenario: an endpoint picker scoring replicas on gauges scraped once a
 * second herds each second's traffic onto one replica; 50 ms gauges, or power-of-two choices on
 * the same stale gauges, do not. Imbalance is read from the routing decisions themselves (the
 * result keeps per-pool figures only), by wrapping the resolved routing policy.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyDefinition, RoutingPolicy } from '../../src/gateway/policy.ts';
import { isRejection } from '../../src/gateway/policy.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { resolvePolicies, runScenario } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/stale-metrics.yaml');
const SEEDS = [1, 2, 3];
const FRESH = 'providers[0].scrapeInterval=50ms';
const P2C = 'gateway.routing={policy: power-of-two-choices, params: {signal: scraped-queue}}';

interface Imbalance {
  /** Mean over 1 s buckets of the share of that second's picks that went to the most-picked replica. */
  topShare: number;
  /** Mean over routing decisions of max / mean in-flight attempts per replica. */
  inFlightMaxOverMean: number;
}

async function run(seed: number, ...sets: string[]): Promise<{ result: RunResult; imbalance: Imbalance }> {
  const loaded = await loadScenarioFile(FILE, { overrides: sets.map(parseOverride) });
  const policies = await resolvePolicies(loaded);
  const inner = policies.routing.definition as PolicyDefinition<'routing'>;
  const warmup = loaded.scenario.warmup;
  const buckets = new Map<number, number[]>();
  let spread = 0;
  let decisions = 0;
  const counted: PolicyDefinition<'routing'> = {
    ...inner,
    create(params, ctx) {
      const policy = inner.create(params, ctx) as RoutingPolicy;
      return {
        ...policy,
        route(req, targets, context) {
          const d = policy.route(req, targets, context);
          const now = ctx.now();
          if (now < warmup || isRejection(d)) return d;
          let max = 0;
          let sum = 0;
          for (const t of targets) {
            max = Math.max(max, t.inFlight);
            sum += t.inFlight;
          }
          if (sum > 0) {
            spread += max / (sum / targets.length);
            decisions++;
          }
          const second = Math.floor(now / 1000);
          let picks = buckets.get(second);
          if (!picks) buckets.set(second, (picks = new Array<number>(targets.length).fill(0)));
          picks[d.index]!++;
          return d;
        },
      };
    },
  };
  const result = runScenario(
    loaded,
    { ...policies, routing: { ...policies.routing, definition: counted } },
    { seed },
  );
  let top = 0;
  for (const picks of buckets.values()) top += Math.max(...picks) / picks.reduce((a, b) => a + b, 0);
  return { result, imbalance: { topShare: top / buckets.size, inFlightMaxOverMean: spread / decisions } };
}

describe('scenarios/stale-metrics.yaml', () => {
  it('herds on 1 s-stale gauges; 50 ms gauges and power-of-two choices spread the load', async () => {
    for (const seed of SEEDS) {
      const stale = await run(seed);
      const fresh = await run(seed, FRESH);
      const p2c = await run(seed, P2C);
      expect(p2c.result.requests.offered).toBe(stale.result.requests.offered);
      const p99 = (r: RunResult) => r.latency.ttft.p99!;

      // Measured on seeds 1-5: p99 TTFT 6.6-7.0 s stale, 1.08-1.14 s fresh, 2.26-2.38 s p2c.
      expect(p99(stale.result)).toBeGreaterThan(4 * p99(fresh.result));
      expect(p99(stale.result)).toBeGreaterThan(2 * p99(p2c.result));
      expect(stale.result.pass).toBe(false);
      expect(fresh.result.pass).toBe(true);
      expect(p2c.result.pass).toBe(true);
      // Goodput (TTFT within 2 s): 27-29% stale against 100% fresh and ~98% p2c.
      expect(stale.result.requests.goodputShare).toBeLessThan(0.4);
      expect(fresh.result.requests.goodputShare).toBeGreaterThan(0.95);
      expect(p2c.result.requests.goodputShare).toBeGreaterThan(0.95);

      // Each second's picks: all to one replica when stale; ~20% fresh, ~27% p2c (1/8 is even).
      expect(stale.imbalance.topShare).toBeGreaterThan(0.9);
      expect(fresh.imbalance.topShare).toBeLessThan(0.35);
      expect(p2c.imbalance.topShare).toBeLessThan(0.35);
      // Busiest replica's in-flight over the mean at each pick: 1.25-1.30 stale, ~1.10 fresh, ~1.13 p2c.
      expect(stale.imbalance.inFlightMaxOverMean).toBeGreaterThan(fresh.imbalance.inFlightMaxOverMean + 0.08);
      expect(stale.imbalance.inFlightMaxOverMean).toBeGreaterThan(p2c.imbalance.inFlightMaxOverMean + 0.08);
    }
  });
});
