/**
 * The provider facets kind by kind, on cases worked out by hand (provider.case.ts checks their
 * promises on random schedules): how many tokens of a running attempt are out, the context window,
 * the gauges, and a GPU pool's replicas.
 */
import { describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src/providers/api/api-provider.ts';
import type { Attempt } from '../../src/providers/attempt.ts';
import { scheduleFaults } from '../../src/providers/faults/fault-timeline.ts';
import type { Sequence } from '../../src/providers/gpu/replica.ts';
import { QueueProvider } from '../../src/providers/queue/queue-provider.ts';
import { aloneTimes, gpuAttempt, K, makePool } from './gpu/gpu-harness.ts';
import { apiConfig, makeAttempt, queueConfig, Simulation, SinkLog, submitAt } from './harness.ts';

const noDraws = () => {
  throw new Error('deterministic latency draws nothing');
};

function api(fields: Parameters<typeof apiConfig>[0]) {
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  return { sim, sink, provider: new ApiProvider(apiConfig(fields), sim, sink, noDraws) };
}

function queue(fields: Parameters<typeof queueConfig>[0]) {
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  return { sim, sink, provider: new QueueProvider(queueConfig(fields), sim, sink, noDraws) };
}

/** `provider.deliveredTokens(a, t)` after running the simulation up to each time `t`. */
function deliveredAt(
  sim: Simulation,
  provider: { deliveredTokens(a: Attempt, nowMs: number): number },
  a: Attempt,
  times: readonly number[],
): number[] {
  return times.map((t) => {
    sim.run(t);
    return provider.deliveredTokens(a, t);
  });
}

describe('deliveredTokens', () => {
  it('api: the first token at the TTFT, then one every 1 / speed (50 ms, 200 tokens/s: 10 tokens by 95 ms)', () => {
    const { sim, sink, provider } = api({ ttft: '50ms', outputRate: '200/s' });
    const a = makeAttempt({ output: 10 });
    submitAt(sim, provider, a);
    expect(deliveredAt(sim, provider, a, [0, 49.9, 50, 54.9, 55, 60, 94.9, 95, 1000])).toEqual([
      0, 0, 1, 1, 2, 3, 9, 10, 10,
    ]);
    expect(sink.of(a)).toEqual([{ attempt: a, atMs: 95 }]);
  });

  it('api: a cancelled attempt keeps the tokens out when it was cancelled, as it is billed', () => {
    const { sim, provider } = api({ ttft: '50ms', outputRate: '200/s' });
    const a = makeAttempt({ output: 10 });
    submitAt(sim, provider, a);
    sim.at(62, () => provider.cancel(a), undefined);
    expect(deliveredAt(sim, provider, a, [61, 62, 500])).toEqual([3, 3, 3]);
    expect([a.status, a.outputTokens]).toEqual(['cancelled', 3]);
  });

  it('queue: nothing before the end of service, then the whole answer', () => {
    const { sim, provider } = queue({ servers: 1, service: '150ms' });
    const a = makeAttempt({ output: 10 });
    submitAt(sim, provider, a);
    expect(deliveredAt(sim, provider, a, [0, 149, 150, 400])).toEqual([0, 0, 10, 10]);
  });

  it("gpu: the sequence's count on its replica, one more token at the end of each decode step", () => {
    const { sim, pool } = makePool();
    const a = gpuAttempt({ prompt: 100, output: 4 });
    submitAt(sim, pool, a);
    const { ttft } = aloneTimes(K, 100, 4);
    const step = (i: number) => K.a + K.c + K.d * (101 + i);
    // Midway between iteration ends: before the first token, after it, after decode steps 1, 2.
    const mid = [
      ttft / 2,
      ttft + step(0) / 2,
      ttft + step(0) + step(1) / 2,
      ttft + step(0) + step(1) + step(2) / 2,
    ];
    expect(deliveredAt(sim, pool, a, [...mid, 10_000])).toEqual([0, 1, 2, 3, 4]);
    expect([a.status, a.outputTokens]).toEqual(['ok', 4]);
  });
});

describe('contextWindow', () => {
  it("api: the config's contextWindow; queue: none (Infinity)", () => {
    expect(api({ contextWindow: 3000 }).provider.contextWindow).toBe(3000);
    expect(queue({ servers: 1, service: '1s' }).provider.contextWindow).toBe(Number.POSITIVE_INFINITY);
  });

  it("gpu: the model's context (131,072 tokens for Llama-3.1-8B) when one replica's KV cache holds more", () => {
    const { pool } = makePool();
    expect([pool.kvCapacityTokens, pool.contextWindow]).toEqual([426_784, 131_072]);
  });

  it('gpu: what one replica holds when that is less (100 blocks of 16 tokens), the limit of a 400', () => {
    const { sim, pool } = makePool({ scheduler: { kvBlocks: 100 } });
    expect(pool.contextWindow).toBe(1600);
    const fits = gpuAttempt({ prompt: 1590, output: 10 });
    const over = gpuAttempt({ prompt: 1591, output: 10 });
    submitAt(sim, pool, fits);
    submitAt(sim, pool, over);
    sim.run(Number.POSITIVE_INFINITY);
    expect([fits.status, over.status]).toEqual(['ok', 'bad_request']);
  });
});

describe('gauges', () => {
  it('a hosted API and an abstract queue expose none', () => {
    expect(api({}).provider.gauges()).toBeUndefined();
    expect(queue({ servers: 1, service: '1s' }).provider.gauges()).toBeUndefined();
  });
});

describe("a GPU pool's replicas", () => {
  const replicaOf = (a: Attempt) => (a.handle as Sequence).replica;

  it('are listed by ids 0..n-1 in order, and no other id is in the set', () => {
    const set = makePool({ replicas: 3 }).pool.replicas;
    expect(set.count).toBe(3);
    expect([0, 1, 2].map((i) => set.idAt(i))).toEqual([0, 1, 2]);
    expect([-1, 0, 1.5, 2, 3].map((id) => set.has(id))).toEqual([false, true, false, true, false]);
  });

  it("take a submission on the replica named, and their gauges add up to the pool's", () => {
    const { sim, pool } = makePool({ replicas: 3, scheduler: { maxSeqs: 1 } });
    const ids = [0, 2, 2];
    const attempts = ids.map(() => gpuAttempt({ prompt: 100, output: 50 }));
    sim.at(
      0,
      () => {
        for (const [i, a] of attempts.entries()) pool.replicas.submitTo(ids[i]!, a);
      },
      undefined,
    );
    sim.run(0);
    expect(attempts.map(replicaOf)).toEqual([0, 2, 2]);
    const gauges = [0, 1, 2].map((id) => pool.replicas.gauges(id));
    expect(gauges.map((g) => [g.waiting, g.running, g.up])).toEqual([
      [0, 1, true],
      [0, 0, true],
      [1, 1, true],
    ]);
    const kvMean = (gauges[0]!.kvUsage + gauges[1]!.kvUsage + gauges[2]!.kvUsage) / 3;
    expect(pool.gauges()).toEqual({ waiting: 1, running: 2, kvUsage: kvMean });
    expect(kvMean).toBeGreaterThan(0);
  });

  it('show a replica lost to capacity loss as down, and a submission to it gets a server_error at once', () => {
    const { sim, sink, pool } = makePool({ replicas: 4 });
    scheduleFaults(
      sim,
      [{ provider: 'p', kind: 'capacity-loss', at: 100, for: 1000, fraction: 0.5 }],
      new Map([['p', pool]]),
    );
    const toLost = gpuAttempt({ atMs: 200, output: 2 });
    const toUp = gpuAttempt({ atMs: 200, output: 2 });
    sim.at(200, () => pool.replicas.submitTo(3, toLost), undefined);
    sim.at(200, () => pool.replicas.submitTo(1, toUp), undefined);
    sim.run(200);
    expect([0, 1, 2, 3].map((id) => pool.replicas.gauges(id).up)).toEqual([true, true, false, false]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.of(toLost)).toEqual([{ attempt: toLost, atMs: 200 }]);
    expect([toLost.status, toUp.status, replicaOf(toUp)]).toEqual(['server_error', 'ok', 1]);
  });
});
