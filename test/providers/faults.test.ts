/**
 * Faults through whole scenarios. Arrivals are `uniform` (exactly 1/rate apart, from 0 ms) and
 * latencies deterministic, so which requests fall inside a fault window is known exactly: at
 * 10/s the arrivals are at 0, 100, 200, ... ms, and a fault [at, at + for) covers
 * (for / 100 ms) of them. Fault boundaries are scheduled before any arrival at the same instant.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run, sumWindows } from './harness.ts';

type ProviderInput = ScenarioInput['providers'][number];
type FaultInput = NonNullable<ScenarioInput['faults']>[number];

const fastApi: ProviderInput = {
  name: 'p',
  kind: 'api',
  ttft: '100ms',
  outputRate: '1000/s',
  degradation: { from: 1 },
  rtt: '20ms',
};
const queue200ms: ProviderInput = { name: 'p', kind: 'queue', servers: 100, service: '200ms' };

function scenario(o: {
  provider: ProviderInput;
  faults: FaultInput[];
  rate?: string;
  duration?: string;
  outputTokens?: number;
  client?: NonNullable<ScenarioInput['workload']['client']>;
  gateway?: ScenarioInput['gateway'];
}): ScenarioInput {
  return {
    name: 'fault',
    duration: o.duration ?? '30s',
    providers: [o.provider],
    faults: o.faults,
    workload: {
      arrivals: { process: 'uniform', rate: o.rate ?? '10/s' },
      classes: [{ name: 'c', promptTokens: 100, outputTokens: o.outputTokens ?? 10 }],
      ...(o.client ? { client: o.client } : {}),
    },
    ...(o.gateway ? { gateway: o.gateway } : {}),
    metrics: { interval: '1s' },
  };
}

/** `n` zeros, then `values`, then zeros up to `length`. */
function windows(length: number, from: number, values: number[]): number[] {
  return Array.from({ length }, (_, i) => (i >= from && i < from + values.length ? values[i - from]! : 0));
}

describe('faults in a scenario', () => {
  it('fails every attempt during an outage fast, with server_error after only the round trip', async () => {
    const r = await run(
      scenario({ provider: fastApi, faults: [{ provider: 'p', kind: 'outage', at: '10s', for: '5s' }] }),
    );
    expect(r.requests.offered).toBe(300);
    expect(r.requests.failed).toBe(50);
    expect(r.requests.completed).toBe(250);
    expect(r.providers['p']!.statuses).toEqual({ ok: 250, server_error: 50 });
    // Each failure lands in the window of its arrival (20 ms later), 10 per second of outage.
    expect(r.timeseries.failed.slice(0, 31)).toEqual(windows(31, 10, [10, 10, 10, 10, 10]));
    expect(r.providers['p']!.ttft.max).toBe(120); // successful attempts: ttft + rtt
  });

  it('multiplies service time by the brownout latency factor for attempts started inside it', async () => {
    const r = await run(
      scenario({
        provider: queue200ms,
        faults: [{ provider: 'p', kind: 'brownout', at: '10s', for: '5s', latency: '3x' }],
      }),
    );
    const service = r.providers['p']!.serviceTime;
    expect(service.count).toBe(300);
    expect(service.min).toBe(200);
    expect(service.max).toBe(600);
    expect(service.mean).toBe(Math.round(((250 * 200 + 50 * 600) / 300) * 1e4) / 1e4);
    expect(r.requests.completed).toBe(300);
  });

  it('fails about errorRate of the attempts during a brownout (binomial bounds)', async () => {
    const r = await run(
      scenario({
        provider: queue200ms,
        rate: '50/s',
        duration: '40s',
        faults: [{ provider: 'p', kind: 'brownout', at: 0, for: '1h', errorRate: '20%' }],
      }),
    );
    const n = r.requests.offered;
    expect(n).toBe(2000);
    // Binomial(2000, 0.2): mean 400, sd 17.9; 4.5 sd either side.
    expect(Math.abs(r.requests.failed - 400)).toBeLessThan(4.5 * Math.sqrt(n * 0.2 * 0.8));
    expect(r.providers['p']!.statuses['server_error']).toBe(r.requests.failed);
  });

  it('leaves attempts started during a hang unanswered until the client timeout ends them', async () => {
    const r = await run(
      scenario({
        provider: queue200ms,
        duration: '10s',
        faults: [{ provider: 'p', kind: 'hang', at: '5s', for: '2s' }],
        client: { timeout: '1s' },
      }),
    );
    expect(r.requests.timedOut).toBe(20);
    expect(r.requests.completed).toBe(80);
    expect(r.providers['p']!.statuses).toEqual({ cancelled: 20, ok: 80 });
    expect(r.timeseries.timedOut.slice(0, 10)).toEqual(windows(10, 6, [10, 10]));
  });

  it('ends hung attempts with the gateway attempt timeout, counted as timeouts at the provider', async () => {
    const r = await run(
      scenario({
        provider: queue200ms,
        duration: '10s',
        faults: [{ provider: 'p', kind: 'hang', at: '5s', for: '2s' }],
        gateway: { attemptTimeout: '1s' },
      }),
    );
    expect(r.requests.timedOut).toBe(20);
    expect(r.providers['p']!.statuses).toEqual({ ok: 80, timeout: 20 });
  });

  it('cuts streams after afterTokens inside the window and bills only the tokens delivered', async () => {
    const r = await run(
      scenario({
        provider: { ...fastApi, pricing: { outputPerMTok: 1 } } as ProviderInput,
        duration: '10s',
        outputTokens: 100,
        faults: [{ provider: 'p', kind: 'stream-cut', at: '5s', for: '2s', afterTokens: 5 }],
      }),
    );
    expect(r.providers['p']!.statuses).toEqual({ ok: 80, stream_cut: 20 });
    expect(r.requests.failed).toBe(20);
    expect(r.providers['p']!.outputTokens).toBe(80 * 100 + 20 * 5);
    expect(r.cost.outputTokens).toBe(8100);
    expect(r.cost.totalUsd).toBe(0.0081);
  });

  it('halves throughput while half the servers are lost, and resumes when they return', async () => {
    // 4 servers x 1 s service exactly absorb 4/s; losing 2 leaves 2 completions per second.
    // Arrivals start at 100 ms (250 ms apart), so no completion falls on a window boundary.
    const r = await run({
      ...scenario({
        provider: { name: 'p', kind: 'queue', servers: 4, service: '1s' },
        duration: '20s',
        faults: [{ provider: 'p', kind: 'capacity-loss', at: '5s', for: '10s', fraction: 0.5 }],
      }),
      workload: {
        arrivals: { process: 'uniform', rate: 0, timeline: [{ step: { at: '100ms', rate: '4/s' } }] },
        classes: [{ name: 'c' }],
      },
    });
    expect(r.requests.offered).toBe(80);
    const ts = r.timeseries;
    const p = ts.providers['p']!;
    for (let w = 1; w < 6; w++) expect(ts.completed[w]).toBe(4);
    for (let w = 6; w < 15; w++) expect(ts.completed[w]).toBe(2);
    // Gauges are read at each window's end, just before events at that instant: the loss
    // [5 s, 15 s) covers the ends of windows 4..14 (window 4 ends at 5 s, as the loss begins).
    for (let w = 0; w < 4; w++) expect(p.inService[w]).toBe(4);
    for (let w = 5; w < 15; w++) expect(p.inService[w]).toBe(2);
    // The backlog built during the loss (2/s) is waiting when it ends...
    expect(p.queued[14]).toBe(20);
    // ...and 4 servers serve it again afterwards, until it drains after arrivals stop.
    for (let w = 15; w < 24; w++) expect(p.inService[w]).toBe(4);
    expect(r.requests.completed).toBe(80);
  });

  it('answers 429 only inside a rate-limit storm, once the clipped bucket is spent', async () => {
    // 600 rpm carries 5/s easily; at 1% (6 rpm) the bucket is clipped to 6 requests and refills
    // 0.1/s. Arrivals at 20.0 .. 21.0 s spend the 6; the rest of the storm (to 29.9 s) is refused.
    const r = await run(
      scenario({
        provider: { ...fastApi, rateLimit: { rpm: 600 } } as ProviderInput,
        rate: '5/s',
        duration: '40s',
        faults: [{ provider: 'p', kind: 'rate-limit-storm', at: '20s', for: '9.9s', limitFactor: '1%' }],
      }),
    );
    expect(r.requests.rateLimited).toBe(44);
    expect(r.timeseries.rateLimited.slice(0, 40)).toEqual(windows(40, 21, [4, 5, 5, 5, 5, 5, 5, 5, 5]));
    expect(sumWindows(r.timeseries.rateLimited, 30)).toBe(0);
    expect(r.providers['p']!.statuses).toEqual({ ok: 156, rate_limited: 44 });
  });
});
