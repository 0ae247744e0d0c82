import { describe, expect, it } from 'vitest';
import { parseScenario, type ScenarioInput } from '../../src/scenario/schema.ts';
import { run, writeTrace } from '../providers/harness.ts';

type GatewayInput = NonNullable<ScenarioInput['gateway']>;
type FaultInput = NonNullable<ScenarioInput['faults']>[number];
type ProviderInput = ScenarioInput['providers'][number];

const queue = (name: string, service = '100ms'): ProviderInput => ({
  name,
  kind: 'queue',
  servers: 100,
  service,
});
const outage = (provider: string, at: number | string = 0, span = '1h'): FaultInput => ({
  provider,
  kind: 'outage',
  at,
  for: span,
});
const hang = (provider: string, at: number | string = 0): FaultInput => ({
  provider,
  kind: 'hang',
  at,
  for: '1h',
});
const bucket = (maxTokens: number, tokenRatio = 0.1) => ({
  kind: 'token-bucket' as const,
  maxTokens,
  tokenRatio,
});

function scenario(o: {
  providers?: ProviderInput[];
  faults: FaultInput[];
  gateway: GatewayInput;
  duration?: string;
  rate?: string;
  client?: NonNullable<ScenarioInput['workload']['client']>;
  interval?: string;
}): ScenarioInput {
  return {
    name: 'grpc-a6',
    duration: o.duration ?? '1s',
    providers: o.providers ?? [queue('p')],
    faults: o.faults,
    workload: {
      arrivals: { process: 'uniform', rate: o.rate ?? '10/s' },
      classes: [{ name: 'c' }],
      ...(o.client ? { client: o.client } : {}),
    },
    gateway: { routing: 'round-robin', ...o.gateway },
    metrics: { interval: o.interval ?? '1s' },
  };
}

/** The windows (of `interval`) in which something of `series` happened, repeated per count. */
function windowsOf(series: (number | null)[]): number[] {
  return series.flatMap((n, i) => Array.from({ length: n ?? 0 }, () => i));
}

describe('which failures take a retry token (A6 "Throttling Retry Attempts and Hedged RPCs")', () => {
  // 6 requests: the first 5 meet an outage (fast 503s), the sixth a hang that times out.
  const vector = (on: ('server-error' | 'timeout')[]) =>
    run(
      scenario({
        duration: '600ms',
        faults: [outage('p', 0, '450ms'), hang('p', '450ms')],
        gateway: {
          attemptTimeout: '1s',
          retries: { max: 1, on, backoff: { base: '10ms', jitter: 'none' }, budget: bucket(10) },
        },
      }),
    );

  it('5 errors the gateway does not retry take no token: the timeout after them is retried', async () => {
    const r = await vector(['timeout']);
    expect(r.requests.failed).toBe(5);
    expect(r.requests.timedOut).toBe(1);
    expect(r.requests.gatewayRetries).toBe(1);
    expect(r.requests.retriesDenied).toBe(0);
    expect(r.requests.attempts).toBe(7);
  });

  it('the same errors, retried, each take one (also the last, when retries are used up): 10 -> 2', async () => {
    const r = await vector(['server-error', 'timeout']);
    // 10 -> 9 retry -> 8; 7 retry -> 6; then 5, 4, 3 and the timeout's 2 are at or below 5.
    expect(r.requests.gatewayRetries).toBe(2);
    expect(r.requests.retriesDenied).toBe(4);
    expect(r.requests.attempts).toBe(8);
  });

  it("the client's budget counts the same way: 5 errors it does not retry leave its timeout a retry", async () => {
    const r = await run(
      scenario({
        duration: '600ms',
        faults: [outage('p', 0, '450ms'), hang('p', '450ms')],
        gateway: {},
        client: {
          timeout: '1s',
          retries: { max: 1, on: ['timeout'], backoff: { base: '10ms', jitter: 'none' }, budget: bucket(10) },
        },
      }),
    );
    expect(r.requests.clientRetries).toBe(1);
    expect(r.requests.retriesDenied).toBe(0);
  });
});

describe('A6 hedging policy', () => {
  it('sends up to maxAttempts, one each hedging delay, and waits for all before failing', async () => {
    // Two requests (0 and 500 ms) against a hung provider; attempts time out after 1 s.
    const r = await run(
      scenario({
        rate: '2/s',
        interval: '100ms',
        faults: [hang('p')],
        gateway: {
          attemptTimeout: '1s',
          hedging: { after: '100ms', maxAttempts: 4, nonFatal: ['timeout'] },
        },
      }),
    );
    expect(r.requests.attempts).toBe(8);
    expect(r.requests.hedges).toBe(6);
    expect(r.requests.timedOut).toBe(2);
    expect(r.requests.gatewayRetries).toBe(0);
    // The last hedge goes out 300 ms after the request and times out 1 s later.
    expect(windowsOf(r.timeseries.timedOut)).toEqual([13, 18]);
  });

  it('treats maxAttempts above 5 as 5', async () => {
    const r = await run(
      scenario({
        rate: '2/s',
        faults: [hang('p')],
        gateway: { attemptTimeout: '1s', hedging: { after: '100ms', maxAttempts: 9, nonFatal: ['timeout'] } },
      }),
    );
    expect(r.requests.attempts).toBe(10);
  });

  it('sends the next hedge at once after a non-fatal error; a fatal one ends the try', async () => {
    const hedged = (nonFatal: 'server-error'[]) =>
      run(
        scenario({
          faults: [outage('p')],
          gateway: { hedging: { after: '1h', maxAttempts: 3, nonFatal } },
        }),
      );
    const nonFatal = await hedged(['server-error']);
    expect(nonFatal.requests.attempts).toBe(30);
    expect(nonFatal.requests.hedges).toBe(20);
    expect(nonFatal.requests.failed).toBe(10);
    const fatal = await hedged([]);
    expect(fatal.requests.attempts).toBe(10);
    expect(fatal.requests.hedges).toBe(0);
    expect(fatal.requests.failed).toBe(10);
  });

  it('sends all attempts at once without a hedging delay', async () => {
    const r = await run(
      scenario({
        rate: '2/s',
        interval: '100ms',
        faults: [hang('p')],
        gateway: { attemptTimeout: '1s', hedging: { maxAttempts: 3 } },
      }),
    );
    expect(r.requests.attempts).toBe(6);
    expect(r.requests.hedges).toBe(4);
    // Each timeout is fatal (no nonFatal): the first ends the try after 1 s and cancels the others.
    expect(windowsOf(r.timeseries.timedOut)).toEqual([10, 15]);
  });

  it('sends no more hedges once a streamed attempt has its first token', async () => {
    // First token 150 ms after the start, then 1000 tokens at 100/s: the hedge due at 100 ms goes
    // out, the one due at 200 ms does not when streaming (it does when the answer comes whole).
    const hedged = (stream: boolean) =>
      run({
        ...scenario({
          rate: '1/s',
          providers: [
            {
              name: 'p',
              kind: 'api',
              capacity: 1000,
              ttft: { dist: 'deterministic', value: '150ms' },
              outputRate: { dist: 'deterministic', value: '100/s' },
              degradation: { from: 1 },
            },
          ],
          faults: [],
          gateway: { hedging: { after: '100ms', maxAttempts: 3 } },
        }),
        workload: {
          arrivals: { process: 'uniform', rate: '1/s' },
          classes: [{ name: 'c', outputTokens: 1000, stream }],
        },
      });
    expect((await hedged(true)).requests.hedges).toBe(1);
    expect((await hedged(false)).requests.hedges).toBe(2);
  });

  it('cancels every other attempt when one succeeds', async () => {
    // Round-robin alternates: the first attempt and the second hedge go to the hung provider,
    // the first and third hedges to the healthy one, which answers the first at 100 + 250 ms.
    const r = await run(
      scenario({
        rate: '1/s',
        providers: [queue('sick'), queue('well', '250ms')],
        faults: [hang('sick')],
        gateway: { hedging: { after: '100ms', maxAttempts: 4 } },
      }),
    );
    expect(r.requests.completed).toBe(1);
    expect(r.requests.hedges).toBe(3);
    expect(r.latency.e2e.max).toBeCloseTo(350, 6);
    expect(r.providers['well']!.statuses).toEqual({ ok: 1, cancelled: 1 });
    expect(r.providers['sick']!.attempts).toBe(2);
  });

  it('sends no hedge once the retry budget is at its threshold: 10 without a budget, 2 with maxTokens 8', async () => {
    const hedged = (budget: ReturnType<typeof bucket> | undefined) =>
      run(
        scenario({
          faults: [outage('p')],
          gateway: {
            hedging: { after: '1h', maxAttempts: 2, nonFatal: ['server-error'] },
            retries: budget ? { budget } : {},
          },
        }),
      );
    const free = await hedged(undefined);
    expect(free.requests.hedges).toBe(10);
    // 8 -> 7, hedge, -> 6; 6 -> 5, hedge, -> 4; 4 -> 3 and below: no more hedges.
    const throttled = await hedged(bucket(8));
    expect(throttled.requests.hedges).toBe(2);
    expect(throttled.requests.retriesDenied).toBe(8);
    expect(throttled.requests.attempts).toBe(12);
  });

  it('lets a hedge wait for the retry budget also without a policy (one backup, then retries)', async () => {
    // Hung provider, hedge after 100 ms, attempts time out at 300 ms and are retried once.
    const hedged = (budget: ReturnType<typeof bucket> | undefined) =>
      run(
        scenario({
          rate: '1/s',
          duration: '10s',
          faults: [hang('p')],
          gateway: {
            attemptTimeout: '300ms',
            hedging: { after: '100ms' },
            retries: {
              max: 1,
              on: ['timeout'],
              backoff: { base: '10ms', jitter: 'none' },
              ...(budget ? { budget } : {}),
            },
          },
        }),
      );
    // 10 requests, each hedged once; the hedge counts as an attempt, so no retry is left.
    const free = await hedged(undefined);
    expect(free.requests.hedges).toBe(10);
    // maxTokens 4: the first request's two timeouts leave 2 tokens, not above 2: no hedge
    // goes out again.
    const throttled = await hedged(bucket(4));
    expect(throttled.requests.hedges).toBe(1);
    // Each later request: its hedge, and the retry of its timeout.
    expect(throttled.requests.retriesDenied).toBe(18);
  });
});

describe('server pushback (retries.pushback: a 429 retry-after read as grpc-retry-pushback-ms)', () => {
  const trace = (n: number) => writeTrace(Array.from({ length: n }, () => ({ t: 0, cls: 'c' })));
  const api = (rpm: number): ProviderInput => ({
    name: 'p',
    kind: 'api',
    ttft: '10ms',
    outputRate: '1000/s',
    degradation: { from: 1 },
    rateLimit: { rpm },
    rtt: '5ms',
  });
  /** Two requests at 0 against 1 request a minute: the second is told to retry after ~60 s. */
  async function twoAtZero(gateway: GatewayInput, faults: FaultInput[] = []) {
    return run({
      name: 'pushback',
      duration: '1s',
      drain: '5m',
      providers: [api(1)],
      faults,
      workload: { arrivals: { trace: { file: await trace(2), format: 'csv' } }, classes: [{ name: 'c' }] },
      gateway,
      metrics: { interval: '100ms' },
    });
  }

  it('retries after exactly the pushback, not at least it: a 100 s backoff gives way to the 60 s retry-after', async () => {
    const backoff = { base: '100s', cap: '200s', jitter: 'none' as const };
    const retries = { max: 1, on: ['rate-limited' as const], backoff };
    const pushed = await twoAtZero({ retries: { ...retries, pushback: true } });
    expect(pushed.requests.completed).toBe(2);
    expect(pushed.latency.e2e.max).toBeGreaterThanOrEqual(60_000);
    expect(pushed.latency.e2e.max).toBeLessThan(60_100);
    const atLeast = await twoAtZero({ retries });
    expect(atLeast.requests.completed).toBe(2);
    expect(atLeast.latency.e2e.max).toBeGreaterThanOrEqual(100_000);
  });

  it('restarts the backoff from its base after a pushback', async () => {
    // The second request's 429 says ~60 s; its retry then meets an outage (a 503 after 5 ms),
    // and the next retry waits the base 10 ms (retry 1 since the pushback), not 10 ms x 100.
    const retries = (pushback: boolean) => ({
      max: 2,
      on: ['rate-limited' as const, 'server-error' as const],
      backoff: { base: '10ms', cap: '10s', multiplier: 100, jitter: 'none' as const },
      pushback,
    });
    const pushed = await twoAtZero({ retries: retries(true) }, [outage('p', '500ms')]);
    expect(pushed.requests.failed).toBe(1);
    expect(windowsOf(pushed.timeseries.failed)).toEqual([600]);
    const atLeast = await twoAtZero({ retries: retries(false) }, [outage('p', '500ms')]);
    expect(windowsOf(atLeast.timeseries.failed)).toEqual([610]);
  });

  it('sends the next A6 hedge when the pushback says', async () => {
    const r = await twoAtZero({
      retries: { pushback: true },
      hedging: { after: '1h', maxAttempts: 2, nonFatal: ['rate-limited'] },
    });
    // One request passes; the other's 429 says 60 s (after the 5 ms round trip): its hedge then passes.
    expect(r.requests.completed).toBe(2);
    expect(r.requests.hedges).toBe(1);
    expect(r.latency.e2e.max).toBeGreaterThanOrEqual(60_000);
    expect(r.latency.e2e.max).toBeLessThan(60_100);
  });
});

describe('a pushback saying not to retry (a 429 that can never pass: the request is larger than the whole bucket)', () => {
  /** `big` requests of 1000 prompt tokens at 0 against 100 input tokens a minute, then `small` at 1 s. */
  async function tooLarge(gateway: GatewayInput, big: number, small = 0, faults: FaultInput[] = []) {
    const file = await writeTrace([
      ...Array.from({ length: big }, () => ({ t: 0, prompt: 1000, cls: 'c' })),
      ...Array.from({ length: small }, () => ({ t: 1000, prompt: 10, cls: 'c' })),
    ]);
    return run({
      name: 'too-large',
      duration: '2s',
      drain: '10m',
      providers: [
        {
          name: 'p',
          kind: 'api',
          ttft: '10ms',
          outputRate: '1000/s',
          degradation: { from: 1 },
          rateLimit: { inputTpm: 100 },
          rtt: '5ms',
        },
      ],
      faults,
      workload: { arrivals: { trace: { file, format: 'csv' } }, classes: [{ name: 'c' }] },
      gateway,
      metrics: { interval: '1s' },
    });
  }

  it('is not retried with pushback on (3 attempts each without: the 60 s retry-after is waited out)', async () => {
    const retries = {
      max: 2,
      on: ['rate-limited' as const],
      backoff: { base: '10ms', jitter: 'none' as const },
    };
    const pushed = await tooLarge({ retries: { ...retries, pushback: true } }, 2);
    expect(pushed.requests.rateLimited).toBe(2);
    expect(pushed.requests.attempts).toBe(2);
    expect(pushed.requests.gatewayRetries).toBe(0);
    const plain = await tooLarge({ retries }, 2);
    expect(plain.requests.attempts).toBe(6);
  });

  it('takes a token although rate-limited is not retried: 5 of them leave a later 503 no retry', async () => {
    const retries = (pushback: boolean) => ({
      max: 1,
      on: ['server-error' as const],
      backoff: { base: '10ms', jitter: 'none' as const },
      budget: bucket(10),
      pushback,
    });
    const outageAt = [outage('p', '500ms')];
    const pushed = await tooLarge({ retries: retries(true) }, 5, 1, outageAt);
    expect(pushed.requests.gatewayRetries).toBe(0);
    expect(pushed.requests.retriesDenied).toBe(1);
    const plain = await tooLarge({ retries: retries(false) }, 5, 1, outageAt);
    expect(plain.requests.gatewayRetries).toBe(1);
  });

  it('stops A6 hedging', async () => {
    const hedging = { after: '1h', maxAttempts: 3, nonFatal: ['rate-limited' as const] };
    const pushed = await tooLarge({ retries: { pushback: true }, hedging }, 2);
    expect(pushed.requests.attempts).toBe(2);
    expect(pushed.requests.rateLimited).toBe(2);
    const plain = await tooLarge({ hedging }, 2);
    expect(plain.requests.attempts).toBe(6);
  });
});

describe('A6 validation', () => {
  const base: ScenarioInput = scenario({ faults: [], gateway: {} });
  const errors = (gateway: GatewayInput) => {
    const parsed = parseScenario({ ...base, gateway: { ...base.gateway, ...gateway } });
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('refuses maxTokens that are not an integer in (0, 1000], and tokenRatio below 0.001', () => {
    for (const maxTokens of [1001, 2.5, 0]) {
      expect(errors({ retries: { budget: { kind: 'token-bucket', maxTokens } } })).toEqual([
        expect.stringContaining('gateway.retries.budget.maxTokens: expected a whole number from 1 to 1000'),
      ]);
    }
    expect(errors({ retries: { budget: { kind: 'token-bucket', maxTokens: 1000 } } })).toEqual([]);
    expect(errors({ retries: { budget: { kind: 'token-bucket', tokenRatio: 0.0005 } } })).toEqual([
      expect.stringContaining('tokenRatio: expected a number from 0.001'),
    ]);
  });

  it('refuses a hedging policy with gateway retries, and nonFatal without maxAttempts', () => {
    expect(errors({ retries: { max: 1 }, hedging: { after: '1s', maxAttempts: 2 } })).toEqual([
      expect.stringContaining('gateway.retries.max: expected 0 with gateway.hedging.maxAttempts'),
    ]);
    expect(errors({ hedging: { after: '1s', nonFatal: ['timeout'] } })).toEqual([
      expect.stringContaining('gateway.hedging.nonFatal: expected `maxAttempts` with `nonFatal`'),
    ]);
    expect(errors({ hedging: { maxAttempts: 1 } })).toHaveLength(1);
  });
});
