/**
 * Exact checks of the quality model against its analytic values (docs/concepts/quality.md), on a
 * scenario where each request's cost and latency depend only on the models it used
 * (harness.ts). Tolerances: 4 binomial standard errors of the share each figure estimates,
 * sqrt(p (1 - p) / N) with N the offered requests (about 10,000), so a correct model fails a check
 * about once in 16,000 runs, and the seeds are fixed.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { qualityScenario, runQuality, STRONG_USD, WEAK_USD } from './harness.ts';

/** Latency of each model alone (ms): TTFT plus 99 more tokens at 100/s (harness.ts). */
const WEAK_E2E_MS = 200 + 990;
const STRONG_E2E_MS = 800 + 990;

/** 4 binomial standard errors of a share p estimated from n trials. */
const tolerance = (p: number, n: number) => 4 * Math.sqrt((p * (1 - p)) / n);

function expectNear(observed: number, expected: number, tol: number) {
  expect(
    Math.abs(observed - expected),
    `observed ${observed}, expected ${expected} +- ${tol}`,
  ).toBeLessThanOrEqual(tol);
}

const allWeak = { policy: 'threshold-router', params: { threshold: 1 } };

describe('acceptable share', () => {
  it('equals the capability when difficulty is uniform on [0, 1]', async () => {
    for (const capability of [0.3, 0.6, 0.85]) {
      const r = await runQuality(qualityScenario({ weak: capability, routing: allWeak }));
      const n = r.requests.offered;
      expect(r.providers['strong']!.attempts).toBe(0);
      expect(r.quality!.acceptable).toBe(r.classes['chat']!.quality!.acceptable);
      expectNear(r.quality!.acceptableShare, capability, tolerance(capability, n));
    }
  });

  it('follows the class difficulty distribution: uniform on [0.2, 0.8], and an empirical one', async () => {
    const uniform = qualityScenario({ weak: 0.5, routing: allWeak });
    uniform.quality = { ...uniform.quality, difficulty: { chat: { dist: 'uniform', min: 0.2, max: 0.8 } } };
    let r = await runQuality(uniform);
    expectNear(r.quality!.acceptableShare, 0.5, tolerance(0.5, r.requests.offered)); // (0.5 - 0.2) / 0.6
    const empirical = qualityScenario({ weak: 0.5, routing: allWeak });
    empirical.quality = {
      ...empirical.quality,
      difficulty: { chat: { dist: 'empirical', values: [0.1, 0.4, 0.6, 0.9] } },
    };
    r = await runQuality(empirical);
    expectNear(r.quality!.acceptableShare, 0.5, tolerance(0.5, r.requests.offered)); // 2 of 4 values <= 0.5
  });

  it('is the completed share when no model is listed (default capability 1), and 0 for a model of capability 0', async () => {
    const s = qualityScenario();
    s.quality = {};
    const r = await runQuality(s);
    expect(r.quality!.acceptable).toBe(r.requests.completed);
    expect(r.quality!.qualityGoodput).toBe(r.requests.goodput);
    const none = await runQuality(qualityScenario({ weak: 0, routing: allWeak }));
    expect(none.quality!.acceptable).toBe(0);
    expect(none.quality!.costPerAcceptableUsd).toBeNull();
  });

  it('reports cost per acceptable answer and quality goodput within the class SLO', async () => {
    const s = qualityScenario({ weak: 0.6, routing: allWeak });
    // The weak model answers in 1190 ms: an e2e target of 1 s makes no answer good.
    s.workload.classes[0]!.slo = { e2e: 1000 };
    const r = await runQuality(s);
    const q = r.quality!;
    expect(q.costPerAcceptableUsd).toBeCloseTo(r.cost.totalUsd / q.acceptable, 6);
    expect(q.qualityGoodput).toBe(0);
    s.workload.classes[0]!.slo = { e2e: 2000 };
    const ok = await runQuality(s);
    expect(ok.quality!.qualityGoodput).toBe(ok.quality!.acceptable);
    expect(ok.quality!.qualityGoodputPerSec).toBeCloseTo(ok.quality!.acceptable / 200, 6);
  });
});

describe('threshold-router with a perfect estimator', () => {
  // Weak capability 0.6, strong 1, prices WEAK_USD and STRONG_USD per request. The cheapest way
  // to answer a share q >= 0.6 acceptably sends exactly the requests of difficulty in (0.6, q] to
  // the strong model and everything else to the weak one: cost pw (1 - (q - 0.6)) + ps (q - 0.6).
  // A threshold t on the true difficulty sends (t, 1] to the strong model: quality 0.6 + (1 - t),
  // cost pw t + ps (1 - t); at t = 1.6 - q that is the optimum.
  it.each([0.8, 0.9, 1])('reaches the analytic optimum cost for target quality %s', async (q) => {
    const threshold = 1.6 - q;
    const r = await runQuality(
      qualityScenario({ routing: { policy: 'threshold-router', params: { threshold } } }),
    );
    const n = r.requests.offered;
    const strongShare = q - 0.6;
    expectNear(r.quality!.acceptableShare, q, tolerance(strongShare, n));
    const optimum = WEAK_USD * (1 - strongShare) + STRONG_USD * strongShare;
    expectNear(r.cost.perRequestUsd, optimum, (STRONG_USD - WEAK_USD) * tolerance(strongShare, n));
  });

  it('pays its classifier once per request: its latency before routing, its cost per request', async () => {
    const routing = (extra: object) => ({ policy: 'threshold-router', params: { threshold: 0.6, ...extra } });
    const plain = await runQuality(qualityScenario({ routing: routing({}) }));
    const classified = await runQuality(
      qualityScenario({ routing: routing({ classifierLatencyMs: 50, classifierCostUsd: 0.0001 }) }),
    );
    expect(classified.quality!.routerCalls).toBe(classified.requests.offered);
    expect(classified.cost.routerUsd).toBeCloseTo(0.0001 * classified.requests.offered, 6);
    expect(classified.cost.perRequestUsd - plain.cost.perRequestUsd).toBeCloseTo(0.0001, 9);
    expect(classified.latency.e2e.mean! - plain.latency.e2e.mean!).toBeCloseTo(50, 6);
    expect(classified.quality!.acceptable).toBe(plain.quality!.acceptable);
  });
});

describe('cascade', () => {
  // Weak capability cw, strong cs. The judge rejects an acceptable weak answer with probability
  // b (falseReject) and accepts an unacceptable one with probability a (falseAccept), so a request
  // escalates with probability e = cw b + (1 - cw)(1 - a); its cost is pw + judge + e ps, its
  // mean latency Lw + J + e Ls (the judged answer is held for J), and its acceptable share
  // cw + (cs - cw)(1 - a).
  const cw = 0.6;
  const cs = 0.9;
  const judge = { falseAccept: 0.1, falseReject: 0.2, latencyMs: 300, costUsd: 0.0001 };
  const escalation = cw * judge.falseReject + (1 - cw) * (1 - judge.falseAccept);

  async function run(stream: boolean): Promise<RunResult> {
    return runQuality(
      qualityScenario({ weak: cw, strong: cs, stream, routing: { policy: 'cascade', params: { judge } } }),
    );
  }

  it('costs and takes as long as its scorer error rates say', async () => {
    const r = await run(true);
    const n = r.requests.offered;
    const tol = tolerance(escalation, n);
    expect(r.requests.completed).toBe(n);
    expect(r.quality!.routerCalls).toBe(n); // every weak answer is judged, the strong ones are final
    expectNear(r.quality!.escalations / n, escalation, tol);
    expect(r.providers['strong']!.attempts).toBe(r.quality!.escalations);
    expectNear(r.cost.perRequestUsd, WEAK_USD + judge.costUsd + escalation * STRONG_USD, STRONG_USD * tol);
    expectNear(
      r.latency.e2e.mean!,
      WEAK_E2E_MS + judge.latencyMs + escalation * STRONG_E2E_MS,
      STRONG_E2E_MS * tol,
    );
    expectNear(r.quality!.acceptableShare, cw + (cs - cw) * (1 - judge.falseAccept), tolerance(0.5, n));
  });

  it('holds a judged answer until the judge releases it: no streaming before the verdict', async () => {
    const r = await run(true);
    // Accepted weak answers arrive whole at 1190 + 300 ms; escalated ones stream from the strong model.
    expect(r.latency.ttft.p50).toBeGreaterThanOrEqual(WEAK_E2E_MS + judge.latencyMs - 1);
  });

  it('with a perfect judge, escalates exactly the answers the weak model gets wrong', async () => {
    const r = await runQuality(
      qualityScenario({
        weak: cw,
        strong: 1,
        routing: { policy: 'cascade', params: { judge: { latencyMs: 100 } } },
      }),
    );
    expect(r.quality!.acceptable).toBe(r.requests.offered);
    expectNear(r.quality!.escalations / r.requests.offered, 1 - cw, tolerance(1 - cw, r.requests.offered));
  });
});
