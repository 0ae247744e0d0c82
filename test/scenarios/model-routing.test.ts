/**
 * scenarios/model-routing.yaml: on three seeds, the threshold router and the cascade reach
 * all-frontier quality minus 2 points (acceptable share of chat and of agent calls) at under 70%
 * of its cost; the cheapest-meeting-a-bar rule is cheaper still and clearly worse. Each seed's
 * variants face the same requests with the same difficulties (common random numbers).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/model-routing.yaml');
const SEEDS = [1, 2, 3];
/** The stated margin: acceptable share may drop by at most 2 points in each routed class. */
const MARGIN = 0.02;

const ROUTERS = {
  allFrontier: 'gateway.routing.params.threshold=0',
  threshold: 'gateway.routing.params.threshold=0.5',
  cascade:
    'gateway.routing={policy: cascade, params: {models: [mid, frontier], judge: {falseAccept: 0.1, falseReject: 0.15, latencyMs: 30, costUsd: 0.00002}}}',
  modelSelection:
    'gateway.routing={policy: model-selection, params: {quality: {small: 0.726, mid: 0.82, frontier: 0.887}, bars: {chat: 0.8, agent: 0.8}}}',
} as const;

async function run(seed: number, set: string): Promise<RunResult> {
  return simulate(await loadScenarioFile(FILE, { overrides: [parseOverride(set)] }), { seed });
}

const share = (r: RunResult, c: string) => r.classes[c]!.quality!.acceptableShare;

describe('model-routing', () => {
  it('runs as bundled: the threshold router, both SLOs met', async () => {
    const result = await simulate(await loadScenarioFile(FILE));
    expect(result.pass).toBe(true);
    expect(result.quality!.escalations).toBe(0);
    expect(result.providers['frontier']!.attempts).toBeGreaterThan(0);
    expect(result.providers['mid']!.attempts).toBeGreaterThan(0);
  });

  it.each(SEEDS)(
    'seed %i: the routers reach all-frontier quality minus 2 points at a lower cost',
    async (seed) => {
      const frontier = await run(seed, ROUTERS.allFrontier);
      expect(frontier.providers['mid']!.attempts).toBe(0);
      for (const name of ['threshold', 'cascade'] as const) {
        const r = await run(seed, ROUTERS[name]);
        for (const c of ['chat', 'agent'])
          expect(share(r, c), `${name} ${c}`).toBeGreaterThanOrEqual(share(frontier, c) - MARGIN);
        expect(r.cost.totalUsd, name).toBeLessThan(0.7 * frontier.cost.totalUsd);
        // Tab is served by the small model whatever the router: the same answers.
        expect(r.classes['tab']!.quality).toEqual(frontier.classes['tab']!.quality);
      }
      const cheapest = await run(seed, ROUTERS.modelSelection);
      expect(cheapest.providers['frontier']!.attempts).toBe(0);
      expect(share(cheapest, 'chat')).toBeLessThan(share(frontier, 'chat') - MARGIN);
      expect(cheapest.cost.totalUsd).toBeLessThan(0.15 * frontier.cost.totalUsd);
    },
  );
});
