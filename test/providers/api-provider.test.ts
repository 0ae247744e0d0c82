import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../src/engine/rng.ts';
import { ApiProvider } from '../../src/providers/api/api-provider.ts';
import type { Attempt } from '../../src/providers/attempt.ts';
import { FaultyProvider } from '../../src/providers/faults/faulty-provider.ts';
import { apiConfig, makeAttempt, Simulation, SinkLog, submitAt } from './harness.ts';
import { runProviderContract } from './provider.case.ts';

runProviderContract('api provider (small capacity and queue, all three limits, rtt)', (scheduler, sink) => {
  const streams = new RngStreams(11);
  const config = apiConfig({
    capacity: 2,
    queueCapacity: 3,
    ttft: { dist: 'lognormal', median: '100ms', p99: '400ms' },
    outputRate: { dist: 'lognormal', median: '100/s', p99: '200/s' },
    rateLimit: { rpm: 30, inputTpm: 20_000, outputTpm: 5000 },
    contextWindow: 3000,
    rtt: '5ms',
  });
  return new FaultyProvider(
    (s, faults) => new ApiProvider(config, scheduler, s, streams.get('latency'), faults),
    scheduler,
    sink,
    streams.get('faults'),
    { answerMs: config.rtt },
  );
});

runProviderContract('api provider (one slot, no queue, deterministic latency)', (scheduler, sink) => {
  const streams = new RngStreams(12);
  const config = apiConfig({ capacity: 1, queueCapacity: 0, ttft: '50ms', outputRate: '200/s' });
  return new FaultyProvider(
    (s, faults) => new ApiProvider(config, scheduler, s, streams.get('latency'), faults),
    scheduler,
    sink,
    streams.get('faults'),
  );
});

const noDraws = () => {
  throw new Error('deterministic latency draws nothing');
};

function setup(fields: Parameters<typeof apiConfig>[0], faultRng: () => number = noDraws) {
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  const config = apiConfig(fields);
  const provider = new FaultyProvider(
    (s, faults) => new ApiProvider(config, sim, s, noDraws, faults),
    sim,
    sink,
    faultRng,
    { answerMs: config.rtt },
  );
  /** Submits a fresh attempt at `atMs` and returns it. */
  const submit = (atMs: number, prompt = 100, output = 10): Attempt => {
    const a = makeAttempt({ atMs, prompt, output });
    submitAt(sim, provider, a);
    return a;
  };
  return { sim, sink, provider, submit };
}

describe('api provider rate limits', () => {
  it('answers 429 with retry-after equal to the time the rpm bucket needs to refill one request', () => {
    const { sim, sink, submit } = setup({ ttft: '100ms', outputRate: '1000/s', rateLimit: { rpm: 60 } });
    const first60 = Array.from({ length: 60 }, () => submit(0));
    const over = submit(0);
    const half = submit(500);
    const refilled = submit(1000);
    const again = submit(1000);
    sim.run(Number.POSITIVE_INFINITY);
    expect(first60.every((a) => a.status === 'ok')).toBe(true);
    // 60/min refills 1 request per 1000 ms; the bucket is empty at 0 ms.
    expect(over.status).toBe('rate_limited');
    expect(over.retryAfterMs).toBe(1000);
    expect(sink.of(over)).toEqual([{ attempt: over, atMs: 0 }]);
    // A refused request takes nothing: at 500 ms half a request has refilled.
    expect(half.status).toBe('rate_limited');
    expect(half.retryAfterMs).toBe(500);
    // At 1000 ms exactly one request fits again.
    expect(refilled.status).toBe('ok');
    expect(again.status).toBe('rate_limited');
    expect(again.retryAfterMs).toBe(1000);
  });

  it('limits input tokens per minute, and refuses a prompt larger than the whole bucket with a 60 s retry-after', () => {
    const { sim, submit } = setup({ ttft: '100ms', outputRate: '1000/s', rateLimit: { inputTpm: 6000 } });
    const fits = Array.from({ length: 6 }, () => submit(0, 1000));
    const over = submit(0, 1000);
    const small = submit(0, 1);
    const huge = submit(20_000, 7000);
    sim.run(Number.POSITIVE_INFINITY);
    expect(fits.map((a) => a.status)).toEqual(Array(6).fill('ok'));
    // 6000 tokens/min = 0.1 token/ms: 1000 tokens take 10 s.
    expect(over.status).toBe('rate_limited');
    expect(over.retryAfterMs).toBe(10_000);
    expect(small.retryAfterMs).toBe(10);
    expect(huge.status).toBe('rate_limited');
    expect(huge.retryAfterMs).toBe(60_000);
  });

  it('debits output tokens when generation ends and refuses new requests while the output bucket is negative', () => {
    // ttft 0 and 1 token/ms: 1000 tokens end at 999 ms and drive the 600-token bucket to -400.
    const { sim, submit } = setup({ ttft: 0, outputRate: '1000/s', rateLimit: { outputTpm: 600 } });
    const big = submit(0, 100_000, 1000);
    const during = submit(500, 100_000, 1);
    const after = submit(1000, 1, 1);
    sim.run(Number.POSITIVE_INFINITY);
    expect(big.status).toBe('ok');
    expect(big.endMs).toBe(999);
    expect(during.status).toBe('ok'); // output not yet known: input size does not count here
    expect(after.status).toBe('rate_limited');
    // -400 + 1 ms x 0.01/ms = -399.99; the balance must become positive: 39 999 ms at 0.01/ms.
    expect(after.retryAfterMs).toBeCloseTo(39_999, 4);
  });

  it('clips the buckets during a rate-limit storm: limitFactor 0.1 of 600 rpm lets 60 requests through', () => {
    const { sim, provider, submit } = setup({ ttft: '10ms', outputRate: '1000/s', rateLimit: { rpm: 600 } });
    provider.faults.limitFactor = 0.1;
    provider.faultsChanged();
    const attempts = Array.from({ length: 61 }, () => submit(0));
    sim.run(Number.POSITIVE_INFINITY);
    expect(attempts.filter((a) => a.status === 'ok')).toHaveLength(60);
    expect(attempts[60]!.status).toBe('rate_limited');
    expect(attempts[60]!.retryAfterMs).toBe(1000); // 60/min at the storm's limit
  });

  // Regression test; the bug it caught, now fixed (src/providers/token-bucket.ts msUntil): `need / refillPerMs` rounds so that at
  // now + retry-after the refilled balance can be one ulp short (0.9999999999999999 of 1 here),
  // so a caller who waits exactly the advertised retry-after is refused again with a retry-after
  // of ~1e-12 ms. With rpm 7, the 8th request at 0 ms is told 8571.43 ms; a retry at that time
  // gets another 429. A gateway with respectRetryAfter and no backoff turns this into a failure.
  it('accepts a request submitted exactly retry-after ms after its 429', () => {
    const { sim, submit } = setup({ ttft: '10ms', outputRate: '1000/s', rateLimit: { rpm: 7 } });
    for (let i = 0; i < 7; i++) submit(0);
    const over = submit(0);
    sim.run(1);
    const retry = submit(over.retryAfterMs);
    sim.run(Number.POSITIVE_INFINITY);
    expect(retry.status).toBe('ok');
  });
});

describe('api provider capacity, context window and latency', () => {
  it('answers 400 bad_request when prompt + output exceed the context window, without spending the rate limit', () => {
    const { sim, submit } = setup({
      ttft: '10ms',
      outputRate: '1000/s',
      contextWindow: 1000,
      rateLimit: { rpm: 1 },
      rtt: '20ms',
    });
    const tooLong = submit(0, 600, 401);
    const exact = submit(0, 600, 400);
    sim.run(Number.POSITIVE_INFINITY);
    expect(tooLong.status).toBe('bad_request');
    expect(tooLong.endMs).toBe(20);
    expect(exact.status).toBe('ok'); // the one request per minute was still there
  });

  it('answers 503 overloaded when capacity and queue are full, and starts queued attempts in FIFO order', () => {
    // Service is ttft 100 ms + 0 token gaps (one output token); no degradation.
    const { sim, sink, provider, submit } = setup({
      degradation: { from: 1 },
      capacity: 2,
      queueCapacity: 3,
      ttft: '100ms',
      outputRate: '1000/s',
    });
    const attempts = Array.from({ length: 6 }, () => submit(0, 100, 1));
    sim.run(0);
    expect(provider.inService()).toBe(2);
    expect(provider.queued()).toBe(3);
    sim.run(Number.POSITIVE_INFINITY);
    expect(attempts.map((a) => a.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'overloaded']);
    expect(attempts.slice(0, 5).map((a) => a.serviceStartMs)).toEqual([0, 0, 100, 100, 200]);
    expect(sink.of(attempts[5]!)).toEqual([{ attempt: attempts[5], atMs: 0 }]);
  });

  it('degrades TTFT and output speed linearly as load rises above degradation.from', () => {
    const { sim, submit } = setup({
      capacity: 10,
      ttft: '100ms',
      outputRate: '100/s',
      degradation: { from: 0.5, ttft: '3x', outputRate: '0.5x' },
    });
    const attempts = Array.from({ length: 10 }, () => submit(0, 100, 11));
    sim.run(Number.POSITIVE_INFINITY);
    attempts.forEach((a, i) => {
      // The k-th concurrent attempt sees load k/10; over = (k/10 - 0.5) / 0.5 beyond half load.
      const over = Math.max(0, ((i + 1) / 10 - 0.5) / 0.5);
      expect(a.firstTokenMs - a.serviceStartMs).toBeCloseTo(100 * (1 + 2 * over), 9);
      expect(a.tokenIntervalMs).toBeCloseTo(1000 / (100 * (1 - 0.5 * over)), 9);
      expect(a.endMs).toBeCloseTo(a.firstTokenMs + 10 * a.tokenIntervalMs, 9);
    });
    expect(attempts[4]!.firstTokenMs).toBe(100);
    expect(attempts[9]!.firstTokenMs).toBeCloseTo(300, 9);
    expect(attempts[9]!.tokenIntervalMs).toBeCloseTo(20, 9);
  });

  it('adds the network round trip to the first token, the end and every fast answer', () => {
    const { sim, provider, submit } = setup({ ttft: '100ms', outputRate: '1000/s', rtt: '20ms' });
    const ok = submit(0, 100, 11);
    sim.run(Number.POSITIVE_INFINITY);
    expect(ok.firstTokenMs).toBe(120);
    expect(ok.endMs).toBe(130);
    provider.faults.outage = true;
    const down = submit(1000);
    sim.run(Number.POSITIVE_INFINITY);
    expect(down.status).toBe('server_error');
    expect(down.endMs).toBe(1020);
  });

  it('bills tokens x price / 1e6 exactly for a completed attempt', () => {
    const { sim, submit } = setup({
      ttft: '10ms',
      outputRate: '1000/s',
      pricing: { inputPerMTok: 3, outputPerMTok: 15 },
    });
    const a = submit(0, 1000, 500);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.billedInputTokens).toBe(1000);
    expect(a.billedOutputTokens).toBe(500);
    expect(a.costUsd).toBe(0.0105);
  });
});

describe('api provider cancellation', () => {
  // ttft 100 ms, 10 tokens/s: tokens at 100, 200, ..., 5000 ms for 50 output tokens (one slot,
  // no degradation at full load).
  const fields = {
    capacity: 1,
    degradation: { from: 1 },
    ttft: '100ms',
    outputRate: '10/s',
    pricing: { inputPerMTok: 2, outputPerMTok: 8 },
  } as const;

  it('stops generation at cancel time and bills the tokens generated so far', () => {
    const { sim, sink, provider, submit } = setup(fields);
    const a = submit(0, 1000, 50);
    const next = submit(0, 1000, 1);
    sim.at(1050, () => provider.cancel(a), undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.status).toBe('cancelled');
    expect(a.endMs).toBe(1050);
    expect(a.outputTokens).toBe(10); // tokens at 100, 200, ..., 1000 ms
    expect(a.billedInputTokens).toBe(1000);
    expect(a.billedOutputTokens).toBe(10);
    expect(a.costUsd).toBe((1000 * 2 + 10 * 8) / 1e6);
    expect(sink.of(a)).toEqual([{ attempt: a, atMs: 1050 }]);
    expect(next.serviceStartMs).toBe(1050); // the slot was freed at once
  });

  it('bills no output when cancelled before the first token', () => {
    const { sim, sink, provider, submit } = setup(fields);
    const a = submit(0, 1000, 50);
    sim.at(99, () => provider.cancel(a), undefined);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.billedOutputTokens).toBe(0);
    expect(a.costUsd).toBe(0.002);
    expect(sink.of(a)).toHaveLength(1);
  });

  it('drops an attempt cancelled while queued without reporting or serving it', () => {
    const { sim, sink, provider, submit } = setup(fields);
    const running = submit(0, 10, 2);
    const dropped = submit(0);
    const last = submit(0, 10, 1);
    sim.at(10, () => provider.cancel(dropped), undefined);
    sim.run(10);
    expect(provider.queued()).toBe(1);
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.of(dropped)).toEqual([]);
    expect(dropped.status).toBe('cancelled');
    expect(last.serviceStartMs).toBe(running.endMs);
  });
});

describe('api provider faults', () => {
  it('scales TTFT and token gaps by a brownout latency factor', () => {
    const { sim, provider, submit } = setup({ ttft: '100ms', outputRate: '100/s' });
    provider.faults.latency = 2;
    const a = submit(0, 100, 11);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.firstTokenMs).toBe(200);
    expect(a.tokenIntervalMs).toBe(20);
    expect(a.endMs).toBe(400);
  });

  it('fails an attempt with server_error at its TTFT when the brownout error draw hits', () => {
    const { sim, provider, submit } = setup({ ttft: '100ms', outputRate: '100/s' }, () => 0.1);
    provider.faults.errorRate = 0.2;
    const a = submit(0, 100, 11);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.status).toBe('server_error');
    expect(a.outputTokens).toBe(0);
    expect(a.endMs).toBe(100);
    expect(a.firstTokenMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('cuts a stream after afterTokens tokens and bills only those', () => {
    const { sim, provider, submit } = setup(
      { ttft: '100ms', outputRate: '100/s', pricing: { outputPerMTok: 1 } },
      () => 0.5,
    );
    provider.faults.streamCutAfter = 5;
    provider.faults.streamCutProbability = 1;
    const cut = submit(0, 100, 50);
    const short = submit(0, 100, 5); // not longer than the cut: unaffected
    sim.run(Number.POSITIVE_INFINITY);
    expect(cut.status).toBe('stream_cut');
    expect(cut.outputTokens).toBe(5);
    expect(cut.billedOutputTokens).toBe(5);
    expect(cut.endMs).toBe(140);
    expect(short.status).toBe('ok');
    expect(short.outputTokens).toBe(5);
  });

  it('never answers an attempt submitted during a hang, and takes nothing from the limits', () => {
    const { sim, sink, provider, submit } = setup({
      ttft: '10ms',
      outputRate: '1000/s',
      rateLimit: { rpm: 1 },
    });
    provider.faults.hang = true;
    const hung = submit(0);
    sim.run(5);
    provider.faults.hang = false;
    const later = submit(10);
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.of(hung)).toEqual([]);
    expect(later.status).toBe('ok');
    expect(provider.inService()).toBe(0);
  });

  it('answers an outage with a fast server_error that spends no rate limit', () => {
    const { sim, provider, submit } = setup({ ttft: '10ms', outputRate: '1000/s', rateLimit: { rpm: 1 } });
    provider.faults.outage = true;
    const down = submit(0);
    sim.run(1);
    provider.faults.outage = false;
    const up = submit(2);
    sim.run(Number.POSITIVE_INFINITY);
    expect(down.status).toBe('server_error');
    expect(down.endMs).toBe(0);
    expect(up.status).toBe('ok');
  });

  it('keeps running work and starts no more than the remaining slots during a capacity loss', () => {
    const { sim, provider, submit } = setup({
      capacity: 4,
      degradation: { from: 1 },
      ttft: '1s',
      outputRate: '1000/s',
    });
    const before = [submit(0, 100, 1), submit(0, 100, 1), submit(0, 100, 1)];
    sim.at(
      500,
      () => {
        provider.faults.capacityFactor = 0.5;
        provider.faultsChanged();
      },
      undefined,
    );
    const during = [submit(600, 100, 1), submit(600, 100, 1)];
    sim.run(Number.POSITIVE_INFINITY);
    expect(before.map((a) => a.endMs)).toEqual([1000, 1000, 1000]);
    expect(during.map((a) => a.serviceStartMs)).toEqual([1000, 1000]);
  });

  // Regression test; the bug it caught, now fixed (src/providers/api/api-provider.ts faultsChanged, same as the queue provider): the slot
  // count changes without integrating busy and available slot-time up to the change. One attempt
  // busy on 1 of 2 slots over [0, 1000) with the capacity halved at 500 ms is 1000 / 1500 busy;
  // the provider reports 1000 / 1000 because [0, 500) is counted at the halved capacity.
  it('integrates utilization over the slots actually available before and after a capacity loss', () => {
    const { sim, provider, submit } = setup({
      capacity: 2,
      degradation: { from: 1 },
      ttft: '1s',
      outputRate: '1000/s',
    });
    submit(0, 100, 1);
    sim.at(
      500,
      () => {
        provider.faults.capacityFactor = 0.5;
        provider.faultsChanged();
      },
      undefined,
    );
    sim.run(Number.POSITIVE_INFINITY);
    expect(provider.utilization(1000)).toBeCloseTo(1000 / 1500, 12);
  });
});
