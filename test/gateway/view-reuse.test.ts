/**
 * Request views of recycled tickets: rewritten in place only under policies known to keep none
 * (the built-ins); a rewritten view is exactly a fresh one; a user policy's views never change.
 */
import { describe, expect, it } from 'vitest';
import { definePolicy, type RequestView } from '../../src/gateway/policy.ts';
import { refillRequestView, requestView } from '../../src/gateway/views.ts';
import { WorkItem } from '../../src/providers/work-item.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { resolvePolicies, runScenario } from '../../src/simulator/simulate.ts';

const inf = Number.POSITIVE_INFINITY;
const facts = (name: string) => ({
  name,
  priority: 2,
  tenant: 'acme',
  slo: { ttftMs: 100, tpotMs: inf, e2eMs: 900 },
});

describe('refillRequestView', () => {
  it('gives what requestView gives, fields in the same order', () => {
    const first = requestView(
      new WorkItem(1, 0, 3.5, 10, 5, inf, true, false, 4, 8, new Int32Array([7]), 16),
      facts('a'),
    );
    const work = new WorkItem(2, 1, 12.25, 100, 20, 50, true, true);
    work.difficultyEstimate = 0.25;
    const refilled = refillRequestView(first, work, facts('b'));
    const fresh = requestView(work, facts('b'));
    expect(refilled).toBe(first);
    expect(Object.entries(refilled)).toEqual(Object.entries(fresh));
  });
});

describe('a user policy keeps its views', () => {
  it('each request gets its own view, unchanged after it ended', async () => {
    const loaded = await loadScenarioObject({
      name: 'keeps-views',
      duration: '2m',
      providers: [{ name: 'q', kind: 'queue', servers: 2, service: { dist: 'exponential', mean: '200ms' } }],
      workload: { arrivals: { process: 'poisson', rate: '5/s' }, classes: [{ name: 'c' }] },
    });
    const kept: { view: RequestView; id: number; arrivalMs: number }[] = [];
    const keeper = definePolicy({
      name: 'keeper',
      kind: 'routing',
      description: 'Keeps every view it is shown.',
      create: () => ({
        route(req, targets) {
          kept.push({ view: req, id: req.id, arrivalMs: req.arrivalMs });
          return targets[0]!;
        },
      }),
    });
    const resolved = await resolvePolicies(loaded);
    resolved.routing = { definition: keeper, params: {} };
    runScenario(loaded, resolved);
    expect(kept.length).toBeGreaterThan(400);
    expect(new Set(kept.map((k) => k.view)).size).toBe(kept.length);
    for (const k of kept) expect([k.view.id, k.view.arrivalMs]).toEqual([k.id, k.arrivalMs]);
  });
});
