/**
 * A router's own calls end cleanly when the client gives up during them: a client timeout while
 * the judge holds an answer, or while the classifier runs, ends the request as timed out (FG-1),
 * cancels the pending call, and releases nothing.
 */
import { describe, expect, it } from 'vitest';
import { qualityScenario, runQuality } from './harness.ts';

describe('router calls and client timeouts', () => {
  it('a timeout during the judge ends the request timed out, with the answer never released', async () => {
    // The weak model answers at 1190 ms and the judge holds it until 1490 ms; the client stops at 1300 ms.
    const s = qualityScenario({
      seconds: 20,
      routing: { policy: 'cascade', params: { judge: { latencyMs: 300, costUsd: 0.0001 } } },
    });
    s.workload.client = { timeout: 1300 };
    const r = await runQuality(s);
    expect(r.requests.timedOut).toBe(r.requests.offered);
    expect(r.requests.completed).toBe(0);
    expect(r.quality!.acceptable).toBe(0);
    expect(r.quality!.escalations).toBe(0);
    expect(r.providers['strong']!.attempts).toBe(0);
    expect(r.quality!.routerCalls).toBe(r.requests.offered); // the judge ran (and was paid) for each
  });

  it('a timeout during the classifier ends the request before any attempt', async () => {
    const s = qualityScenario({
      seconds: 20,
      routing: { policy: 'threshold-router', params: { threshold: 0.5, classifierLatencyMs: 500 } },
    });
    s.workload.client = { timeout: 400 };
    const r = await runQuality(s);
    expect(r.requests.timedOut).toBe(r.requests.offered);
    expect(r.requests.attempts).toBe(0);
    expect(r.quality!.routerCalls).toBe(r.requests.offered);
  });

  it('a client retry after a timeout does not run the classifier again', async () => {
    const s = qualityScenario({
      seconds: 20,
      routing: { policy: 'threshold-router', params: { threshold: 0.5, classifierLatencyMs: 500 } },
    });
    s.workload.client = { timeout: 400, retries: { max: 1 } };
    const r = await runQuality(s);
    expect(r.quality!.routerCalls).toBe(r.requests.offered);
    expect(r.requests.clientRetries).toBe(r.requests.offered);
    // The second try routes at once: one attempt each (which the 400 ms timeout then cuts too).
    expect(r.requests.attempts).toBe(r.requests.offered);
    expect(r.requests.timedOut).toBe(r.requests.offered);
  });
});
