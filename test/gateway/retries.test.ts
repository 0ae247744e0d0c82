import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run, writeTrace } from '../providers/harness.ts';

type ProviderInput = ScenarioInput['providers'][number];
type GatewayInput = NonNullable<ScenarioInput['gateway']>;

const down = (name: string): ProviderInput => ({ name, kind: 'queue', servers: 100, service: '100ms' });
const up = (name: string): ProviderInput => ({ name, kind: 'queue', servers: 100, service: '100ms' });

/** 10 requests (10/s for 1 s) through `gateway`; providers named in `outages` are down all run. */
function scenario(o: {
  providers: ProviderInput[];
  outages?: string[];
  hangs?: string[];
  gateway: GatewayInput;
}): ScenarioInput {
  return {
    name: 'gateway',
    duration: '1s',
    providers: o.providers,
    faults: [
      ...(o.outages ?? []).map((provider) => ({ provider, kind: 'outage' as const, at: 0, for: '1h' })),
      ...(o.hangs ?? []).map((provider) => ({ provider, kind: 'hang' as const, at: 0, for: '1h' })),
    ],
    workload: { arrivals: { process: 'uniform', rate: '10/s' }, classes: [{ name: 'c' }] },
    gateway: { routing: 'least-outstanding', ...o.gateway },
    metrics: { interval: '1s' },
  };
}

const quickBackoff = { base: '10ms', jitter: 'none' } as const;

describe('gateway retries', () => {
  it('retries a listed error up to max times, then fails the request', async () => {
    const r = await run(
      scenario({
        providers: [down('p')],
        outages: ['p'],
        gateway: { retries: { max: 2, on: ['server-error'], backoff: quickBackoff } },
      }),
    );
    expect(r.requests.failed).toBe(10);
    expect(r.requests.attempts).toBe(30);
    expect(r.requests.gatewayRetries).toBe(20);
    expect(r.requests.amplification).toBe(3);
    expect(r.requests.clientRetries).toBe(0);
    expect(r.providers['p']!.statuses).toEqual({ server_error: 30 });
  });

  it('does not retry an error missing from the `on` list', async () => {
    const r = await run(
      scenario({
        providers: [down('p')],
        outages: ['p'],
        gateway: { retries: { max: 2, on: ['rate-limited', 'timeout'], backoff: quickBackoff } },
      }),
    );
    expect(r.requests.failed).toBe(10);
    expect(r.requests.attempts).toBe(10);
    expect(r.requests.gatewayRetries).toBe(0);
  });

  it('makes a single attempt with the default max of 0', async () => {
    const r = await run(scenario({ providers: [down('p')], outages: ['p'], gateway: {} }));
    expect(r.requests.attempts).toBe(10);
    expect(r.requests.failed).toBe(10);
  });

  it('times out hung attempts with attemptTimeout and retries them as timeouts', async () => {
    const r = await run(
      scenario({
        providers: [up('p')],
        hangs: ['p'],
        gateway: {
          attemptTimeout: '500ms',
          retries: { max: 2, on: ['timeout'], backoff: { base: '100ms', jitter: 'none' } },
        },
      }),
    );
    expect(r.requests.timedOut).toBe(10);
    expect(r.requests.attempts).toBe(30);
    expect(r.requests.gatewayRetries).toBe(20);
    expect(r.providers['p']!.statuses).toEqual({ timeout: 30 });
    // Each request gives up at arrival + 500 + 100 + 500 + 200 + 500 ms = arrival + 1.8 s.
    expect(r.timeseries.timedOut.slice(0, 3)).toEqual([0, 2, 8]);
  });

  it('lets a streamed attempt that has its first token outlive the attempt timeout', async () => {
    // TTFT 100 ms, then 1000 tokens at 100/s: the end comes 10 s later, long past the 1 s timeout.
    const r = await run({
      ...scenario({
        providers: [{ name: 'p', kind: 'api', ttft: '100ms', outputRate: '100/s', degradation: { from: 1 } }],
        gateway: { attemptTimeout: '1s', retries: { max: 2, on: ['timeout'] } },
      }),
      workload: {
        arrivals: { process: 'uniform', rate: '10/s' },
        classes: [{ name: 'c', outputTokens: 1000 }],
      },
    });
    expect(r.requests.completed).toBe(10);
    expect(r.requests.attempts).toBe(10);
  });
});

describe('retry-after', () => {
  /** Three requests at 0 ms against a provider allowing 1 request per minute, 5 ms away. */
  async function rateLimited(respectRetryAfter: boolean) {
    const file = await writeTrace([0, 0, 0].map((t) => ({ t, cls: 'c' })));
    return run({
      name: 'retry-after',
      duration: '1s',
      drain: '5m',
      providers: [
        {
          name: 'p',
          kind: 'api',
          ttft: '10ms',
          outputRate: '1000/s',
          degradation: { from: 1 },
          rateLimit: { rpm: 1 },
          rtt: '5ms',
        },
      ],
      workload: { arrivals: { trace: { file, format: 'csv' } }, classes: [{ name: 'c' }] },
      gateway: {
        retries: {
          max: 1,
          on: ['rate-limited'],
          respectRetryAfter,
          backoff: { base: '1ms', jitter: 'none' },
        },
      },
      metrics: { interval: '1s' },
    });
  }

  it('waits at least the provider retry-after before retrying a 429 when respectRetryAfter is on', async () => {
    const r = await rateLimited(true);
    const attempts = r.timeseries.providers['p']!.attempts;
    // Both refused requests retry at 60.005 s (their 429 came after the 5 ms round trip), when
    // the bucket holds one request again.
    expect(attempts[0]).toBe(3);
    expect(attempts.slice(1, 60).every((n) => n === 0)).toBe(true);
    expect(attempts[60]).toBe(2);
    expect(r.requests.completed).toBe(2);
    expect(r.requests.rateLimited).toBe(1);
    expect(r.latency.e2e.max).toBeGreaterThanOrEqual(60_000);
  });

  it('retries after its own backoff alone when respectRetryAfter is off, and is refused again', async () => {
    const r = await rateLimited(false);
    expect(r.timeseries.providers['p']!.attempts[0]).toBe(5);
    expect(r.requests.completed).toBe(1);
    expect(r.requests.rateLimited).toBe(2);
  });
});

// Regression test; the bug it caught, now fixed (src/providers/token-bucket.ts msUntil, see test/providers/api-provider.test.ts): with rpm 7
// the eighth request at 0 ms is told to retry after 8571.43 ms, the gateway waits exactly that
// and the bucket then holds 0.9999999999999999 of a request, so the retry is refused too and
// the request ends rate_limited although the gateway respected retry-after.
it('completes a 429-ed request whose single retry waited exactly the retry-after', async () => {
  const file = await writeTrace(Array.from({ length: 8 }, () => ({ t: 0, cls: 'c' })));
  const r = await run({
    name: 'retry-after-rounding',
    duration: '1s',
    drain: '5m',
    providers: [
      {
        name: 'p',
        kind: 'api',
        ttft: '10ms',
        outputRate: '1000/s',
        degradation: { from: 1 },
        rateLimit: { rpm: 7 },
      },
    ],
    workload: { arrivals: { trace: { file, format: 'csv' } }, classes: [{ name: 'c' }] },
    gateway: { retries: { max: 1, on: ['rate-limited'], backoff: { base: 0, jitter: 'none' } } },
  });
  expect(r.requests.completed).toBe(8);
});

describe('fallback chains', () => {
  it('sends the retry of a failed attempt to the fallback provider', async () => {
    const r = await run(
      scenario({
        providers: [down('primary'), up('backup')],
        outages: ['primary'],
        gateway: { retries: { max: 1, backoff: quickBackoff }, fallbacks: { primary: ['backup'] } },
      }),
    );
    expect(r.requests.completed).toBe(10);
    expect(r.providers['primary']!.attempts).toBe(10);
    expect(r.providers['primary']!.statuses).toEqual({ server_error: 10 });
    expect(r.providers['backup']!.attempts).toBe(10);
    expect(r.providers['backup']!.statuses).toEqual({ ok: 10 });
  });

  it('retries on the same failing provider without a fallback chain (least-outstanding picks it again)', async () => {
    const r = await run(
      scenario({
        providers: [down('primary'), up('backup')],
        outages: ['primary'],
        gateway: { retries: { max: 1, backoff: quickBackoff } },
      }),
    );
    expect(r.requests.failed).toBe(10);
    expect(r.providers['primary']!.attempts).toBe(20);
    expect(r.providers['backup']!.attempts).toBe(0);
  });

  it('walks the chain in order, one provider per retry', async () => {
    const r = await run(
      scenario({
        providers: [down('primary'), down('second'), up('third')],
        outages: ['primary', 'second'],
        gateway: { retries: { max: 2, backoff: quickBackoff }, fallbacks: { primary: ['second', 'third'] } },
      }),
    );
    expect(r.requests.completed).toBe(10);
    expect(r.requests.gatewayRetries).toBe(20);
    expect([
      r.providers['primary']!.attempts,
      r.providers['second']!.attempts,
      r.providers['third']!.attempts,
    ]).toEqual([10, 10, 10]);
  });

  it('stops at max retries even when the chain is longer', async () => {
    const r = await run(
      scenario({
        providers: [down('primary'), down('second'), up('third')],
        outages: ['primary', 'second'],
        gateway: { retries: { max: 1, backoff: quickBackoff }, fallbacks: { primary: ['second', 'third'] } },
      }),
    );
    expect(r.requests.failed).toBe(10);
    expect(r.providers['third']!.attempts).toBe(0);
  });
});
