/**
 * Conservation (FG-1): every offered request ends in exactly one terminal state, and every
 * attempt is accounted for, whatever the scenario: random providers, client timeouts, retries
 * and abandonment, gateway admission, attempt timeouts, retries and fallbacks, and faults.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RequestCounts, RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { Scenario, ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { arbitraryScenario } from './arbitrary-scenario.ts';

// Random scenarios per run; set FLOODGATE_PROPERTY_RUNS=20000 to search harder (about 1 min).
const NUM_RUNS = Number(process.env['FLOODGATE_PROPERTY_RUNS'] ?? 100);

const TERMINAL = [
  'completed',
  'shed',
  'rateLimited',
  'failed',
  'timedOut',
  'abandoned',
  'cancelled',
  'unfinished',
] as const;

function expectTerminalStatesAddUp(c: RequestCounts, where: string): void {
  for (const k of TERMINAL) {
    expect(Number.isInteger(c[k]), `${where}.${k} is a whole number`).toBe(true);
    expect(c[k], `${where}.${k} >= 0`).toBeGreaterThanOrEqual(0);
  }
  const sum = TERMINAL.reduce((s, k) => s + c[k], 0);
  expect(sum, `${where}: terminal states add up to offered`).toBe(c.offered);
  expect(c.attempts, `${where}: attempts >= completed`).toBeGreaterThanOrEqual(c.completed);
  // Rounded to 6 decimals in the JSON.
  const amplification = c.offered > 0 ? c.attempts / c.offered : 0;
  expect(
    Math.abs(c.amplification - amplification),
    `${where}: amplification ${c.amplification} = attempts / offered ${amplification}`,
  ).toBeLessThanOrEqual(5e-7 + 1e-12);
  // Each attempt is the first of a client try (the first try, or a client retry), a gateway
  // retry, or a hedge.
  expect(c.attempts, `${where}: attempts <= offered + retries + hedges`).toBeLessThanOrEqual(
    c.offered + c.clientRetries + c.gatewayRetries + c.hedges,
  );
  expect(c.goodput, `${where}: goodput <= completed`).toBeLessThanOrEqual(c.completed);
}

const sumOf = (xs: readonly (number | null)[]) => xs.reduce<number>((s, x) => s + (x ?? 0), 0);

/** The longest a request can live when every client try has a timeout. */
function lifetimeBound(s: Scenario): number {
  let bound = 0;
  for (const c of s.workload.classes) {
    const client = c.client ?? s.workload.client;
    if (client.timeout === undefined) return Number.POSITIVE_INFINITY;
    const { max, backoff } = client.retries;
    bound = Math.max(bound, (max + 1) * client.timeout + max * backoff.cap);
  }
  return bound;
}

function checkConservation(s: Scenario, r: RunResult): void {
  const req = r.requests;
  expectTerminalStatesAddUp(req, 'requests');

  // Per class, and classes add up to the total.
  const classes = Object.values(r.classes);
  for (const [name, c] of Object.entries(r.classes)) expectTerminalStatesAddUp(c.requests, `classes.${name}`);
  for (const k of [
    ...TERMINAL,
    'offered',
    'attempts',
    'clientRetries',
    'gatewayRetries',
    'goodput',
  ] as const) {
    expect(
      classes.reduce((a, c) => a + c.requests[k], 0),
      `sum over classes of ${k}`,
    ).toBe(req[k]);
  }

  // Attempts: providers add up to the total; each has at most one final status, exactly one once
  // nothing is left in flight; the successful ones are exactly the completed requests.
  const providers = Object.values(r.providers);
  expect(providers.reduce((a, p) => a + p.attempts, 0)).toBe(req.attempts);
  let okAttempts = 0;
  for (const [name, p] of Object.entries(r.providers)) {
    const statuses = Object.values(p.statuses).reduce((a, n) => a + n, 0);
    expect(statuses, `providers.${name}: statuses <= attempts`).toBeLessThanOrEqual(p.attempts);
    if (req.unfinished === 0) expect(statuses, `providers.${name}: statuses = attempts`).toBe(p.attempts);
    expect(p.statuses['pending'], `providers.${name}: no attempt reported pending`).toBeUndefined();
    okAttempts += p.statuses['ok'] ?? 0;
  }
  expect(okAttempts, 'ok attempts = completed requests').toBe(req.completed);

  // Latency histograms hold one value per completed request.
  for (const c of [r, ...classes]) {
    const completed = c.requests.completed;
    expect(c.latency.e2e.count).toBe(completed);
    expect(c.latency.ttft.count).toBe(completed);
    expect(c.latency.queueWait.count).toBe(completed);
  }

  // Tokens and cost: classes and providers add up to the total.
  expect(classes.reduce((a, c) => a + c.cost.inputTokens, 0)).toBe(r.cost.inputTokens);
  expect(classes.reduce((a, c) => a + c.cost.outputTokens, 0)).toBe(r.cost.outputTokens);
  expect(providers.reduce((a, p) => a + p.inputTokens, 0)).toBe(r.cost.inputTokens);
  expect(providers.reduce((a, p) => a + p.outputTokens, 0)).toBe(r.cost.outputTokens);
  expect(providers.reduce((a, p) => a + p.costUsd, 0)).toBeCloseTo(r.cost.totalUsd, 5);

  // The time series count the same events (warmup is 0, so every request is measured).
  const ts = r.timeseries;
  expect(sumOf(ts.offered)).toBe(req.offered);
  expect(sumOf(ts.completed)).toBe(req.completed);
  expect(sumOf(ts.goodput)).toBe(req.goodput);
  expect(sumOf(ts.shed)).toBe(req.shed);
  expect(sumOf(ts.rateLimited)).toBe(req.rateLimited);
  expect(sumOf(ts.failed)).toBe(req.failed);
  expect(sumOf(ts.timedOut)).toBe(req.timedOut);
  expect(sumOf(ts.abandoned)).toBe(req.abandoned);
  expect(sumOf(ts.cancelled)).toBe(req.cancelled);
  expect(sumOf(ts.attempts)).toBe(req.attempts);
  for (const [name, c] of Object.entries(ts.classes)) {
    expect(sumOf(c.offered)).toBe(r.classes[name]!.requests.offered);
    expect(sumOf(c.completed)).toBe(r.classes[name]!.requests.completed);
  }
  for (const [name, p] of Object.entries(ts.providers))
    expect(sumOf(p.attempts)).toBe(r.providers[name]!.attempts);
  // The live-request gauge at the end of the run is what was left unfinished.
  expect(ts.liveRequests.at(-1), 'live requests at the end = unfinished').toBe(req.unfinished);

  // With a client timeout on every try and a drain longer than a request can live, nothing is
  // left unfinished.
  if (s.drain >= lifetimeBound(s)) expect(req.unfinished).toBe(0);
}

describe('conservation', () => {
  it('every offered request ends in exactly one terminal state and every attempt is accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryScenario(), fc.integer({ min: 1, max: 1_000_000 }), async (s, seed) => {
        const loaded = await loadScenarioObject(s);
        checkConservation(loaded.scenario, await simulate(loaded, { seed }));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('counts a request that is still waiting when the drain runs out as unfinished', async () => {
    // Every attempt hangs and nobody times out: nothing can end.
    const s: ScenarioInput = {
      name: 'hung',
      duration: 10_000,
      drain: 5_000,
      providers: [{ name: 'p0', kind: 'queue', servers: 1, service: 100 }],
      faults: [{ provider: 'p0', kind: 'hang', at: 0, for: 60_000 }],
      workload: { arrivals: { process: 'uniform', rate: 2 }, classes: [{ name: 'c0' }] },
    };
    const loaded = await loadScenarioObject(s);
    const r = await simulate(loaded, { seed: 1 });
    expect(r.requests.offered).toBe(20);
    expect(r.requests.unfinished).toBe(20);
    expect(r.requests.attempts).toBe(20);
    expect(r.endMs).toBe(15_000);
    checkConservation(loaded.scenario, r);
  });

  it('counts a client timeout with retries as one timed-out request and three attempts', async () => {
    const s: ScenarioInput = {
      name: 'retried-timeouts',
      duration: 10_000,
      drain: 60_000,
      providers: [{ name: 'p0', kind: 'queue', servers: 1, service: 100 }],
      faults: [{ provider: 'p0', kind: 'hang', at: 0, for: 60_000 }],
      workload: {
        arrivals: { process: 'uniform', rate: 1 },
        classes: [{ name: 'c0' }],
        client: { timeout: 1000, retries: { max: 2, backoff: { base: 100, jitter: 'none' } } },
      },
    };
    const loaded = await loadScenarioObject(s);
    const r = await simulate(loaded, { seed: 1 });
    expect(r.requests.offered).toBe(10);
    expect(r.requests.timedOut).toBe(10);
    expect(r.requests.attempts).toBe(30);
    expect(r.requests.clientRetries).toBe(20);
    expect(r.requests.amplification).toBe(3);
    expect(r.providers['p0']!.statuses).toEqual({ cancelled: 30 });
    checkConservation(loaded.scenario, r);
  });
});
