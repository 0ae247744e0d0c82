import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { run, sumWindows } from '../providers/harness.ts';

type ClientInput = NonNullable<ScenarioInput['workload']['client']>;
type ProviderInput = ScenarioInput['providers'][number];

/** One request per second for `duration` into one queue provider with plenty of servers. */
function scenario(o: {
  service: string;
  client: ClientInput;
  duration?: string;
  faults?: ScenarioInput['faults'];
  provider?: ProviderInput;
}): ScenarioInput {
  return {
    name: 'client',
    duration: o.duration ?? '10s',
    providers: [o.provider ?? { name: 'p', kind: 'queue', servers: 1000, service: o.service }],
    faults: o.faults ?? [],
    workload: {
      arrivals: { process: 'uniform', rate: '1/s' },
      classes: [{ name: 'c' }],
      client: o.client,
    },
    metrics: { interval: '1s' },
  };
}

describe('client timeout and retries', () => {
  it('throttles retries with a client token-bucket budget (gRPC A6: retry while tokens > max/2)', async () => {
    // Every try times out. The bucket (max 4, start 4) drops 1 per failed try: request 0's first
    // try leaves 3 (> 2, retry), its retry leaves 2 (not > 2, no more). Requests 1..9 each fail once
    // and are not retried: 1 retry in all, 11 tries.
    const r = await run(
      scenario({
        service: '2s',
        client: {
          timeout: '500ms',
          retries: {
            max: 3,
            on: ['timeout'],
            backoff: { base: '100ms', jitter: 'none' },
            budget: { kind: 'token-bucket', maxTokens: 4, tokenRatio: 0.1 },
          },
        },
      }),
    );
    expect(r.requests.clientRetries).toBe(1);
    expect(r.requests.attempts).toBe(11);
    expect(r.requests.retriesDenied).toBe(10);
    expect(r.requests.timedOut).toBe(10);
  });

  it("bases a class's percent budget on that class's live requests, not the others'", async () => {
    const retriesOfSmall = async (bigRate: string) => {
      const r = await run({
        name: 'two-classes',
        duration: '20s',
        providers: [
          { name: 'p', kind: 'queue', servers: 1000, service: '2s' },
          { name: 'other', kind: 'queue', servers: 1000, service: '2s' },
        ],
        workload: {
          classes: [
            {
              name: 'small',
              providers: ['p'],
              arrivals: { process: 'uniform', rate: '1/s' },
              client: {
                timeout: '500ms',
                retries: {
                  max: 2,
                  on: ['timeout'],
                  backoff: { base: '10ms', jitter: 'none' },
                  budget: { kind: 'percent', percent: '10%', minRetries: 1 },
                },
              },
            },
            { name: 'big', providers: ['other'], arrivals: { process: 'uniform', rate: bigRate } },
          ],
        },
        metrics: { interval: '1s' },
      });
      return r.classes['small']!.requests.clientRetries;
    };
    expect(await retriesOfSmall('50/s')).toBe(await retriesOfSmall('0.1/s'));
  });

  it('caps retries in progress with a client percent budget', async () => {
    // 1 request/s; every try times out after 500 ms, retried after 10 ms, twice. Request k's
    // second retry (k + 1.02 .. k + 1.52 s) overlaps request k+1's first failure at k + 1.5 s:
    // with room for 5 retries in progress every retry goes ahead, with room for 1 (10% of the
    // ~2 live requests is less) that one is refused.
    const client = (minRetries: number): ClientInput => ({
      timeout: '500ms',
      retries: {
        max: 2,
        on: ['timeout'],
        backoff: { base: '10ms', jitter: 'none' },
        budget: { kind: 'percent', percent: '10%', minRetries },
      },
    });
    const open = await run(scenario({ service: '2s', client: client(5) }));
    expect(open.requests.clientRetries).toBe(20);
    expect(open.requests.retriesDenied).toBe(0);
    const tight = await run(scenario({ service: '2s', client: client(1) }));
    expect(tight.requests.retriesDenied).toBeGreaterThan(0);
    expect(tight.requests.clientRetries).toBeLessThan(20);
  });

  it('retries a timed-out try up to max times, counting client retries and amplification', async () => {
    // Service 2 s never beats the 1 s timeout: tries end at +1 s, +2.1 s and +3.3 s (backoff 100, 200 ms).
    const r = await run(
      scenario({
        service: '2s',
        client: {
          timeout: '1s',
          retries: { max: 2, on: ['timeout'], backoff: { base: '100ms', jitter: 'none' } },
        },
      }),
    );
    expect(r.requests.offered).toBe(10);
    expect(r.requests.timedOut).toBe(10);
    expect(r.requests.clientRetries).toBe(20);
    expect(r.requests.attempts).toBe(30);
    expect(r.requests.amplification).toBe(3);
    expect(r.requests.gatewayRetries).toBe(0);
    // Every try was cancelled by the client (the queue server still serves it: wasted work).
    expect(r.providers['p']!.statuses).toEqual({ cancelled: 30 });
    // Request k arrives at k s and gives up at k + 3.3 s, in window k + 3.
    expect(r.timeseries.timedOut.slice(0, 13)).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(sumWindows(r.timeseries.timedOut, 13)).toBe(0);
  });

  it('does not retry errors missing from its `on` list', async () => {
    const r = await run(
      scenario({
        service: '2s',
        client: { timeout: '1s', retries: { max: 2, on: ['server-error', 'rate-limited'] } },
      }),
    );
    expect(r.requests.clientRetries).toBe(0);
    expect(r.requests.amplification).toBe(1);
    expect(r.requests.timedOut).toBe(10);
  });

  it('completes a request whose retry succeeds, with latency counted from the first arrival', async () => {
    // An outage over [0, 1.5 s): tries at 0 and 1 s fail fast, the one at 3 s (backoff 1 s, 2 s) succeeds.
    const r = await run(
      scenario({
        service: '100ms',
        duration: '1s',
        faults: [{ provider: 'p', kind: 'outage', at: 0, for: '1.5s' }],
        client: {
          retries: { max: 2, on: ['server-error'], backoff: { base: '1s', multiplier: 2, jitter: 'none' } },
        },
      }),
    );
    expect(r.requests.completed).toBe(1);
    expect(r.requests.clientRetries).toBe(2);
    expect(r.requests.attempts).toBe(3);
    expect(r.latency.e2e.max).toBe(3100);
    expect(r.latency.ttft.max).toBe(3100);
  });

  it('treats a shed answer as a retryable server error', async () => {
    const busy = await run({
      name: 'shed-retry',
      duration: '1s',
      providers: [{ name: 'p', kind: 'queue', servers: 10, service: '10s' }],
      workload: {
        arrivals: { process: 'uniform', rate: '2/s' },
        classes: [{ name: 'c' }],
        client: { retries: { max: 3, on: ['server-error'], backoff: { base: '10ms', jitter: 'none' } } },
      },
      gateway: { admission: { policy: 'concurrency-limit', params: { limit: 1, queue: false } } },
    });
    // The request at 500 ms is shed 4 times (3 client retries) while the one at 0 holds the slot.
    expect(busy.requests.shed).toBe(1);
    expect(busy.requests.clientRetries).toBe(3);
    expect(busy.requests.attempts).toBe(1);
  });
});

describe('client abandonment', () => {
  it('abandons every request when patience is shorter than the service time', async () => {
    const r = await run(scenario({ service: '1s', client: { abandonAfter: '500ms' } }));
    expect(r.requests.abandoned).toBe(10);
    expect(r.requests.completed).toBe(0);
    expect(r.providers['p']!.statuses).toEqual({ cancelled: 10 });
    expect(r.timeseries.abandoned.slice(0, 10)).toEqual(Array(10).fill(1));
  });

  it('abandons none when patience outlasts the service time', async () => {
    const r = await run(scenario({ service: '1s', client: { abandonAfter: '1.5s' } }));
    expect(r.requests.abandoned).toBe(0);
    expect(r.requests.completed).toBe(10);
  });

  it('abandons across client retries: patience runs from arrival, not from each try', async () => {
    const r = await run(
      scenario({
        service: '2s',
        client: {
          timeout: '1s',
          abandonAfter: '1.5s',
          retries: { max: 5, on: ['timeout'], backoff: { base: '100ms', jitter: 'none' } },
        },
      }),
    );
    expect(r.requests.abandoned).toBe(10);
    expect(r.requests.clientRetries).toBe(10); // one retry each (at 1.1 s) before patience ends at 1.5 s
    expect(r.requests.attempts).toBe(20);
  });
});

describe('request classes', () => {
  it('split a shared arrival stream by share weights (binomial bounds)', async () => {
    const r = await run({
      name: 'shares',
      duration: '60s',
      drain: 0,
      providers: [{ name: 'p', kind: 'queue', servers: 1000, service: '1ms' }],
      workload: {
        arrivals: { process: 'uniform', rate: '100/s' },
        classes: [
          { name: 'a', share: 6 },
          { name: 'b', share: 3 },
          { name: 'c', share: 1 },
          { name: 'own', arrivals: { process: 'uniform', rate: '5/s' } },
        ],
      },
    });
    const n = 6000;
    for (const [name, p] of [
      ['a', 0.6],
      ['b', 0.3],
      ['c', 0.1],
    ] as const) {
      const offered = r.classes[name]!.requests.offered;
      expect(Math.abs(offered - n * p)).toBeLessThan(4.5 * Math.sqrt(n * p * (1 - p)));
    }
    // A class with its own arrivals takes no share of the shared stream.
    expect(r.classes['own']!.requests.offered).toBe(300);
    expect(r.requests.offered).toBe(6300);
  });
});
