/**
 * Conservation in an autoscaled run (FG-1 with replicas joining and leaving): every offered
 * request ends in exactly one terminal state, none is left unfinished, and every attempt at the
 * pool has exactly one status. Returns the pool's result for the test's own checks.
 */
import { expect } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';

export function expectConserved(r: RunResult, pool = 'pool'): RunResult['providers'][string] {
  const q = r.requests;
  expect(
    q.completed + q.shed + q.rateLimited + q.failed + q.timedOut + q.abandoned + q.cancelled + q.unfinished,
  ).toBe(q.offered);
  expect(q.unfinished).toBe(0);
  const p = r.providers[pool]!;
  expect(Object.values(p.statuses).reduce((a, n) => a + n, 0)).toBe(p.attempts);
  return p;
}
