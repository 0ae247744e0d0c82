/**
 * The vLLM-like replica scheduler (src/providers/gpu/replica.ts): exact arithmetic for one
 * sequence under known fitted coefficients, then batching, chunked prefill, KV-cache exhaustion
 * and preemption, the prefix cache, maxSeqs and context limits, through pools driven directly and
 * through small scenarios with one replica and deterministic token sizes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundTo } from '../../../src/engine/histogram.ts';
import type { Attempt } from '../../../src/providers/attempt.ts';
import type { ScenarioInput } from '../../../src/scenario/schema.ts';
import { run } from '../harness.ts';
import {
  aloneTimes,
  type GpuInput,
  gpuAttempt,
  gpuInput,
  K,
  makePool,
  prefillMs,
  submitAll,
} from './gpu-harness.ts';

type ClassInput = ScenarioInput['workload']['classes'][number];

/** One replica serving `classes`, measured from 0. */
function scenario(provider: Partial<GpuInput>, classes: ClassInput[], extra: Partial<ScenarioInput> = {}) {
  return {
    name: 'gpu-scheduler',
    duration: '60s',
    metrics: { interval: '10s' },
    providers: [gpuInput(provider)],
    workload: { classes },
    ...extra,
  } satisfies ScenarioInput;
}

/** Runs attempts on a pool to the end and returns them. */
function serve(fields: Partial<GpuInput>, attempts: Attempt[]) {
  const { sim, sink, pool } = makePool(fields);
  submitAll(sim, pool, attempts);
  sim.run(Number.POSITIVE_INFINITY);
  return { sim, sink, pool };
}

describe('one sequence alone under known fitted coefficients', () => {
  // a = 8, b = 1/4, c = 3/2, d = 2^-10, e = 2^-12, f = 5, g = -3 (ms).
  const P = 1024;
  const N = 11;

  it('takes one prefill iteration to the first token, a + g + b P + e P^2/2 = 389 ms, then N - 1 decode steps of a + c + d x context', () => {
    const a = gpuAttempt({ prompt: P, output: N });
    serve({ scheduler: { chunkedPrefill: false } }, [a]);
    const t = aloneTimes(K, P, N);
    expect(t.ttft).toBe(389);
    // 10 steps over contexts 1025 ... 1034: 10 x 9.5 + 10295 / 1024.
    expect(t.e2e).toBe(389 + 95 + 10_295 / 1024);
    expect(a.status).toBe('ok');
    expect(a.serviceStartMs).toBe(0);
    expect(a.firstTokenMs).toBe(t.ttft);
    expect(a.endMs).toBe(t.e2e);
    expect(a.outputTokens).toBe(N);
    expect(a.tokenIntervalMs).toBe(t.tpot);
    expect(t.tpot).toBe(K.a + K.c + K.d * (P + 1 + (N - 2) / 2));
  });

  it('gives the same times with chunked prefill when the chunk holds the whole prompt', () => {
    const a = gpuAttempt({ prompt: P, output: N });
    serve({ scheduler: { chunkedPrefill: true, chunkSize: 2048 } }, [a]);
    expect([a.firstTokenMs, a.endMs]).toEqual([389, 389 + 95 + 10_295 / 1024]);
  });

  it('prefills in chunks of 256 tokens in four iterations, each paying a and g and attending over the tokens before it (404 ms)', () => {
    const a = gpuAttempt({ prompt: P, output: N });
    serve({ scheduler: { chunkedPrefill: true, chunkSize: 256 } }, [a]);
    // Chunk i: 8 + (-3 + 64 + (256 i + 128) / 16) = 69 + 16 i + 8.
    expect(aloneTimes(K, P, N, 256).ttft).toBe(77 + 93 + 109 + 125);
    expect(a.firstTokenMs).toBe(404);
    expect(a.endMs).toBe(404 + 95 + 10_295 / 1024);
  });

  it('pays the prefill floor f for a short prompt: TTFT a + f = 13 ms for 16 tokens', () => {
    const a = gpuAttempt({ prompt: 16, output: 1 });
    serve({}, [a]);
    expect(prefillMs(K, 16, 128)).toBe(5);
    expect([a.firstTokenMs, a.endMs, a.outputTokens]).toEqual([13, 13, 1]);
  });

  it('reports the same TTFT, E2E and TPOT in a scenario run (to the 4 decimals of the result)', async () => {
    const r = await run(
      scenario({ scheduler: { chunkedPrefill: false } }, [
        { name: 'c', arrivals: { process: 'uniform', rate: '1/s' }, promptTokens: P, outputTokens: N },
      ]),
    );
    const t = aloneTimes(K, P, N);
    expect(r.requests.completed).toBe(60);
    for (const stat of ['min', 'max'] as const) {
      expect(r.latency.ttft[stat]).toBe(roundTo(t.ttft, 4));
      expect(r.latency.e2e[stat]).toBe(roundTo(t.e2e, 4));
      expect(r.latency.tpot[stat]).toBe(roundTo(t.tpot, 4));
    }
    expect(r.providers['p']!.serviceTime.max).toBe(roundTo(t.e2e, 4));
  });
});

describe('continuous batching', () => {
  // A request starts an iteration the moment it reaches an idle replica, so requests arriving
  // together are lined up behind a blocker: a 4096-token prompt with one output token, prefilled
  // whole (chunked prefill off) in 8 + (-3 + 1024 + 2048) = 3077 ms, during which they all wait.
  const BLOCKER_MS = 3077;
  const blocker = () => gpuAttempt({ prompt: 4096, output: 1 });

  it('decodes 16 requests waiting together in one batch: TPOT a + 16 c + d x batch context instead of a + c + d x context', () => {
    const P = 64;
    const N = 33;
    const first = blocker();
    const batch = Array.from({ length: 16 }, () => gpuAttempt({ atMs: 1, prompt: P, output: N }));
    serve({ scheduler: { chunkedPrefill: false } }, [first, ...batch]);
    expect(first.endMs).toBe(BLOCKER_MS);
    // One prefill iteration of 16 x 64 tokens (attention 16 x 64 x 32), then 32 steps of 16.
    const prefill = K.a + prefillMs(K, 1024, 16 * 64 * 32);
    expect(prefill).toBe(269);
    let decode = 0;
    for (let k = 0; k < N - 1; k++) decode += K.a + 16 * K.c + K.d * 16 * (P + 1 + k);
    for (const a of batch) {
      expect([a.serviceStartMs, a.firstTokenMs, a.endMs]).toEqual([
        BLOCKER_MS,
        BLOCKER_MS + prefill,
        BLOCKER_MS + prefill + decode,
      ]);
      expect(a.tokenIntervalMs).toBe(decode / (N - 1));
    }
    expect(decode / (N - 1)).toBe(8 + 24 + (16 * 80.5) / 1024);
    const alone = gpuAttempt({ prompt: P, output: N });
    serve({}, [alone]);
    expect(alone.tokenIntervalMs).toBe(aloneTimes(K, P, N).tpot);
    expect(alone.tokenIntervalMs).toBeLessThan(batch[0]!.tokenIntervalMs / 3);
  });

  it('raises TPOT p50 with load on the roofline (Llama-3.1-8B, one H100): 0.5/s < 5/s < 30/s, and 30/s at least doubles it', async () => {
    const tpot = async (rate: string) => {
      const r = await run(
        scenario({ timing: 'auto' }, [
          { name: 'c', arrivals: { rate }, promptTokens: 512, outputTokens: 256 },
        ]),
      );
      return r.latency.tpot.p50!;
    };
    const [low, mid, high] = [await tpot('0.5/s'), await tpot('5/s'), await tpot('30/s')];
    expect(low).toBeLessThan(mid);
    expect(mid).toBeLessThan(high);
    expect(high).toBeGreaterThan(2 * low);
  });

  it('caps the batch at maxSeqs: 10 requests waiting together with maxSeqs 4 run as groups of 4, 4 and 2, each admitted as the previous group ends', () => {
    const attempts = Array.from({ length: 10 }, () => gpuAttempt({ atMs: 1, prompt: 64, output: 5 }));
    const { sim, pool } = makePool({ scheduler: { maxSeqs: 4, chunkedPrefill: false } });
    submitAll(sim, pool, [blocker(), ...attempts]);
    let maxRunning = 0;
    const probe = () => {
      maxRunning = Math.max(maxRunning, pool.members[0]!.runningCount);
      if (pool.inService() + pool.queued() > 0) sim.after(0.5, probe, undefined);
    };
    sim.at(0, probe, undefined);
    sim.run(BLOCKER_MS + 1);
    expect([pool.members[0]!.runningCount, pool.members[0]!.waitingCount]).toEqual([4, 6]);
    sim.run(Number.POSITIVE_INFINITY);
    // Group: prefill 4 x 64 tokens (8 + 63 ms), then 4 steps of 8 + 4 x 1.5 + 4 (65 + k) / 1024.
    const group = 8 + 63 + 4 * 14 + (4 * (65 + 66 + 67 + 68)) / 1024;
    const t0 = BLOCKER_MS;
    expect(attempts.map((a) => a.serviceStartMs)).toEqual([
      ...[t0, t0, t0, t0],
      ...[t0 + group, t0 + group, t0 + group, t0 + group],
      ...[t0 + 2 * group, t0 + 2 * group],
    ]);
    expect(attempts.slice(0, 4).map((a) => a.endMs)).toEqual([1, 2, 3, 4].map(() => t0 + group));
    expect(maxRunning).toBe(4);
    expect(attempts.every((a) => a.status === 'ok' && a.outputTokens === 5)).toBe(true);
  });

  it('batches requests reaching an idle replica at the same instant into one prefill iteration (vLLM drains its input queue before it schedules)', () => {
    const attempts = Array.from({ length: 3 }, () => gpuAttempt({ prompt: 64, output: 2 }));
    const { sim, pool } = makePool({ scheduler: { chunkedPrefill: false } });
    submitAll(sim, pool, attempts);
    sim.run(0);
    expect([pool.members[0]!.runningCount, pool.members[0]!.waitingCount]).toEqual([3, 0]);
    sim.run(Number.POSITIVE_INFINITY);
    const ttft = K.a + prefillMs(K, 3 * 64, 3 * 64 * 32);
    expect(attempts.map((a) => a.firstTokenMs)).toEqual([ttft, ttft, ttft]);
  });

  it('gives two simultaneous 512-token prompts one shared prefill iteration when the token budget holds both, and not when it does not', () => {
    const ttftOf = (maxBatchedTokens: number) => {
      const attempts = [gpuAttempt({ prompt: 512, output: 2 }), gpuAttempt({ prompt: 512, output: 2 })];
      const { sim, pool } = makePool({ scheduler: { maxBatchedTokens } });
      submitAll(sim, pool, attempts);
      sim.run(Number.POSITIVE_INFINITY);
      return { ttft: attempts.map((a) => a.firstTokenMs), iterations: pool.members[0]!.iterations };
    };
    const shared = K.a + prefillMs(K, 1024, 2 * 512 * 256);
    // Budget 8192 (the default): both prompts in the first iteration, then one decode step.
    expect(ttftOf(8192)).toEqual({ ttft: [shared, shared], iterations: 2 });
    // Budget 512: one prompt per iteration, the second waits for the first.
    const first = K.a + prefillMs(K, 512, 512 * 256);
    const second = ttftOf(512).ttft[1]!;
    expect(ttftOf(512).ttft[0]).toBe(first);
    expect(second).toBeGreaterThan(first);
  });
});

describe('prefill chunks as vLLM sizes them', () => {
  it('prefills a lone 2048-token prompt in one iteration by default (no per-sequence cap, as vLLM without long_prefill_token_threshold)', () => {
    const a = gpuAttempt({ prompt: 2048, output: 2 });
    const { sim, pool } = makePool();
    submitAll(sim, pool, [a]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.firstTokenMs).toBe(K.a + prefillMs(K, 2048, (2048 * 2048) / 2));
    expect(pool.members[0]!.iterations).toBe(2); // the prefill, then one decode step
  });

  it("charges a fit's per-prompt cost s once per prompt beyond the first in a shared prefill iteration", () => {
    const k = { ...K, s: 2 };
    const attempts = [1, 2, 3].map(() => gpuAttempt({ prompt: 64, output: 2 }));
    const { sim, pool } = makePool({ timing: { model: 'fitted', coefficients: k } });
    submitAll(sim, pool, attempts);
    sim.run(Number.POSITIVE_INFINITY);
    const ttft = K.a + prefillMs(K, 3 * 64, 3 * 64 * 32) + 2 * 2;
    expect(attempts.map((a) => a.firstTokenMs)).toEqual([ttft, ttft, ttft]);
  });
});

describe('long prompts sharing the batch', () => {
  /** TTFT of 64-token requests arriving 10/s, with or without an 8000-token prompt every second. */
  async function shortTtft(withLong: boolean, chunkedPrefill: boolean) {
    const r = await run(
      // Chunked: vLLM with long_prefill_token_threshold 512 (its default puts no cap on a chunk).
      scenario(
        { timing: 'auto', scheduler: { chunkedPrefill, ...(chunkedPrefill ? { chunkSize: 512 } : {}) } },
        [
          {
            name: 'short',
            arrivals: { process: 'uniform', rate: '10/s' },
            promptTokens: 64,
            outputTokens: 16,
          },
          ...(withLong
            ? [
                {
                  name: 'long',
                  arrivals: { process: 'uniform' as const, rate: '1/s' },
                  promptTokens: 8000,
                  outputTokens: 8,
                },
              ]
            : []),
        ],
      ),
    );
    expect(r.requests.completed).toBe(withLong ? 660 : 600);
    return r.classes['short']!.latency.ttft;
  }

  it('raises the TTFT of short requests, and without chunked prefill far more than with it', async () => {
    const alone = await shortTtft(false, true);
    const aloneUnchunked = await shortTtft(false, false);
    const chunked = await shortTtft(true, true);
    const unchunked = await shortTtft(true, false);
    // Alone, chunking changes nothing for 64-token prompts.
    expect(aloneUnchunked.mean).toBeCloseTo(alone.mean!, 0);
    // A long prompt in 512-token chunks delays a short one by about one chunk iteration...
    expect(chunked.mean!).toBeGreaterThan(1.5 * alone.mean!);
    expect(chunked.max!).toBeGreaterThan(2 * alone.max!);
    // ...whole, by up to the long prefill itself (8000 tokens on one H100: hundreds of ms).
    expect(unchunked.mean!).toBeGreaterThan(2 * chunked.mean!);
    expect(unchunked.max!).toBeGreaterThan(5 * chunked.max!);
    expect(unchunked.max!).toBeGreaterThan(250);
  });
});

describe('the prefix cache', () => {
  it('prefills only the uncached part of a prompt whose prefix an earlier request left in the cache (TTFT 125 ms instead of 389 ms)', () => {
    const first = gpuAttempt({ prompt: 1024, output: 2, prefixId: 7, prefixTokens: 768 });
    const again = gpuAttempt({ atMs: 1000, prompt: 1024, output: 2, prefixId: 7, prefixTokens: 768 });
    const other = gpuAttempt({ atMs: 2000, prompt: 1024, output: 2, prefixId: 8, prefixTokens: 768 });
    const { pool } = serve({ scheduler: { chunkedPrefill: false }, prefixCache: { enabled: true } }, [
      first,
      again,
      other,
    ]);
    // The last 256 tokens attend over the 768 cached ones: 8 + (-3 + 64 + 256 x (768 + 128) / 4096).
    expect(first.firstTokenMs - first.startMs).toBe(389);
    expect(again.firstTokenMs - again.startMs).toBe(8 + (-3 + 64 + 56));
    expect(other.firstTokenMs - other.startMs).toBe(389);
    expect(pool.members[0]!.prefixHits).toBe(1);
  });

  // 1000 KV blocks of 16 tokens, at most 10% of them (100 blocks) for cached blocks nobody uses.
  const small = {
    scheduler: { chunkedPrefill: false, kvBlocks: 1000 },
    prefixCache: { enabled: true, share: 0.1 },
  };

  it("evicts block by block, a chain's tail first, when cached blocks outgrow their share", () => {
    // A caches prefix 1 (64 blocks); B's 161-token prompt reuses 10 of them; C caches prefix 2
    // (64 more: 128 > 100), which evicts the 28 least recently freed blocks: prefix 1's blocks
    // 63..36 (A freed its chain tail first; B refreshed blocks 0..9). D finds blocks 0..35.
    // (Before issue 16 the cache evicted whole prefixes and D found nothing; vLLM evicts blocks.)
    const attempts = [
      gpuAttempt({ atMs: 0, prompt: 2000, output: 2, prefixId: 1, prefixTokens: 1024 }),
      gpuAttempt({ atMs: 2000, prompt: 161, output: 2, prefixId: 1, prefixTokens: 1024 }),
      gpuAttempt({ atMs: 4000, prompt: 2000, output: 2, prefixId: 2, prefixTokens: 1024 }),
      gpuAttempt({ atMs: 6000, prompt: 2000, output: 2, prefixId: 1, prefixTokens: 1024 }),
    ];
    const { pool } = serve(small, attempts);
    expect(attempts.map((a) => a.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(attempts.map((a) => a.cachedInputTokens)).toEqual([0, 160, 0, 36 * 16]);
    expect(pool.members[0]!.prefixHits).toBe(2);
    expect(pool.members[0]!.kv!.evictableKv).toBe(100);
  });

  it('credits only the part of a prefix a shorter prompt cached', () => {
    // A's 161-token prompt caches 160 tokens of prefix 3; B (prompt 1024, prefix 768) finds those
    // 160 and prefills the other 864; C, with nothing cached, prefills all 1024.
    const attempts = [
      gpuAttempt({ atMs: 0, prompt: 161, output: 2, prefixId: 3, prefixTokens: 768 }),
      gpuAttempt({ atMs: 2000, prompt: 1024, output: 2, prefixId: 3, prefixTokens: 768 }),
      gpuAttempt({ atMs: 4000, prompt: 1024, output: 2, prefixId: 4, prefixTokens: 768 }),
    ];
    const { pool } = serve(
      { scheduler: { chunkedPrefill: false }, prefixCache: { enabled: true } },
      attempts,
    );
    const [, partial, cold] = attempts.map((a) => a.firstTokenMs - a.startMs);
    expect(pool.members[0]!.prefixHits).toBe(1);
    expect(partial).toBeLessThan(cold!);
    // 160 of 1024 tokens skipped saves well under half of a 1024-token prefill.
    expect(partial).toBeGreaterThan(0.7 * cold!);
  });

  it('finds nothing when the cache is off', () => {
    const attempts = [0, 1000].map((atMs) =>
      gpuAttempt({ atMs, prompt: 1024, output: 2, prefixId: 7, prefixTokens: 768 }),
    );
    const { pool } = serve({ scheduler: { chunkedPrefill: false } }, attempts);
    expect(attempts.map((a) => a.firstTokenMs - a.startMs)).toEqual([389, 389]);
    expect(pool.members[0]!.prefixHits).toBe(0);
  });

  it('lowers mean TTFT by more than half in a scenario whose requests share 4 prefixes of 1536 of their 2048 tokens', async () => {
    const ttft = async (enabled: boolean) => {
      const r = await run(
        scenario({ timing: 'auto', prefixCache: { enabled } }, [
          {
            name: 'c',
            arrivals: { rate: '2/s' },
            promptTokens: 2048,
            outputTokens: 16,
            prefix: { groups: 4, tokens: 1536 },
          },
        ]),
      );
      return r.latency.ttft.mean!;
    };
    const off = await ttft(false);
    const on = await ttft(true);
    expect(on).toBeLessThan(0.5 * off);
  });
});

describe('context and KV limits', () => {
  it('answers bad_request at once when prompt + output exceed the context window (Llama-2-70B: 4096)', () => {
    const fits = gpuAttempt({ atMs: 5, prompt: 4000, output: 96 });
    const tooLong = gpuAttempt({ atMs: 5, prompt: 4000, output: 97 });
    const promptAlone = gpuAttempt({ atMs: 5, prompt: 4097, output: 1 });
    const { sink } = serve({ model: 'llama-2-70b', tensorParallel: 2, timing: 'auto' }, [
      fits,
      tooLong,
      promptAlone,
    ]);
    expect(fits.status).toBe('ok');
    for (const a of [tooLong, promptAlone]) {
      expect(a.status).toBe('bad_request');
      expect(sink.of(a)).toEqual([{ attempt: a, atMs: 5 }]);
      expect(Number.isNaN(a.serviceStartMs)).toBe(true);
    }
  });

  it('fails every request of a class whose prompts exceed the context window with bad_request, in a scenario', async () => {
    const r = await run(
      scenario({ model: 'llama-2-70b', tensorParallel: 2, timing: 'auto' }, [
        { name: 'c', arrivals: { process: 'uniform', rate: '1/s' }, promptTokens: 5000, outputTokens: 10 },
      ]),
    );
    expect(r.requests.offered).toBe(60);
    expect(r.requests.failed).toBe(60);
    expect(r.providers['p']!.statuses).toEqual({ bad_request: 60 });
  });

  it('answers bad_request when prompt + output exceed the KV cache of a replica (4 blocks of 16 tokens)', () => {
    const fits = gpuAttempt({ prompt: 60, output: 4 });
    const tooBig = gpuAttempt({ prompt: 60, output: 5 });
    serve({ scheduler: { kvBlocks: 4 } }, [fits, tooBig]);
    expect([fits.status, tooBig.status]).toEqual(['ok', 'bad_request']);
  });
});

describe('KV cache exhaustion', () => {
  /** Eight requests of 100 + 300 tokens at once on 64 blocks of 16 tokens (room for 2.5 of them). */
  const crowd = () => Array.from({ length: 8 }, () => gpuAttempt({ prompt: 100, output: 300 }));

  it('preempts sequences when the blocks run out and still completes every request with all its tokens', () => {
    const attempts = crowd();
    const { pool } = serve({ scheduler: { kvBlocks: 64 } }, attempts);
    expect(pool.members[0]!.preemptions).toBeGreaterThan(0);
    expect(attempts.map((a) => [a.status, a.outputTokens])).toEqual(attempts.map(() => ['ok', 300]));
  });

  it('never preempts with enough blocks for all of them (200 blocks)', () => {
    const attempts = crowd();
    const { pool } = serve({ scheduler: { kvBlocks: 200 } }, attempts);
    expect(pool.members[0]!.preemptions).toBe(0);
    expect(attempts.every((a) => a.status === 'ok')).toBe(true);
  });

  it('keeps KV use within [0, 1] while it preempts', () => {
    const { sim, pool } = makePool({ scheduler: { kvBlocks: 64 } });
    submitAll(sim, pool, crowd());
    const seen: number[] = [];
    const probe = () => {
      seen.push(pool.members[0]!.kvUsage);
      if (pool.inService() + pool.queued() > 0) sim.after(1, probe, undefined);
    };
    sim.at(0, probe, undefined);
    // The first preemption comes at 765 ms; up to 5 s the blocks stay accounted (see the bug below).
    sim.run(5000);
    expect(pool.members[0]!.preemptions).toBeGreaterThan(0);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1);
  });

  // Regression test; the bug it caught, now fixed (src/providers/gpu/replica.ts joinDecoding): a sequence preempted while decoding is
  // re-prefilled with promptTokens = prompt + generated, but joinDecoding then sets its context
  // to promptTokens + (deliver - remaining), counting the generated tokens twice. Its blocks are
  // freed for that inflated context, so the replica ends with more free blocks than it has
  // (kvUsage -0.875 here: 120 free of 64), and its decode steps attend over too many tokens.
  it('returns exactly its KV blocks once the preempted requests finish (kvUsage back to 0)', () => {
    const { pool } = serve({ scheduler: { kvBlocks: 64 } }, crowd());
    expect(pool.members[0]!.preemptions).toBeGreaterThan(0);
    expect(pool.members[0]!.kvUsage).toBe(0);
  });

  // Regression test; the bug it caught, now fixed (replica.ts, startIteration without chunked prefill): the decoders' blocks are found by
  // preempting the newest sequence, then the iteration is made prefill-only because that very
  // sequence can be admitted again, so it takes the freed blocks back and the decoders never
  // step; with the recompute prefill delivering no token (see above) nothing progresses. Here
  // 19 of 20 requests stay unfinished after 60 s of drain, with ~17k preemptions.
  it('completes every request under KV pressure without chunked prefill (20 requests of 100 + 300 tokens on 64 blocks)', async () => {
    const r = await run(
      scenario(
        { timing: 'auto', scheduler: { kvBlocks: 64, chunkedPrefill: false } },
        [{ name: 'c', arrivals: { process: 'uniform', rate: '4/s' }, promptTokens: 100, outputTokens: 300 }],
        { duration: '5s', drain: '60s', metrics: { interval: '1s' } },
      ),
    );
    expect(r.requests.completed).toBe(20);
  });

  it('completes every request under KV pressure with chunked prefill (same 20 requests)', async () => {
    const r = await run(
      scenario(
        { timing: 'auto', scheduler: { kvBlocks: 64, chunkedPrefill: true } },
        [{ name: 'c', arrivals: { process: 'uniform', rate: '4/s' }, promptTokens: 100, outputTokens: 300 }],
        { duration: '5s', drain: '60s', metrics: { interval: '1s' } },
      ),
    );
    expect(r.requests.completed).toBe(20);
    expect(r.requests.unfinished).toBe(0);
  });

  // Regression test; the bug it caught, now fixed (replica.ts finishHeap): the heap holds Sequence objects keyed by seq.finishIteration,
  // and a preempted sequence that rejoins decoding gets a new finishIteration while its stale
  // entry is still in the heap, so the key of a heap node changes in place and the heap order
  // breaks. A sequence whose entry then surfaces late is skipped (finishIteration !== k) and
  // decodes forever; once preempted it needs more blocks than exist and waits forever. Together
  // with the double-counted context above, random small workloads leave requests unreported.
  it('serves any small workload under KV pressure to completion: every attempt ok with all its tokens, every block free after', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 40 }),
        fc.boolean(),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 300 }),
            prompt: fc.double({ min: 0, max: 0.5, noNaN: true }),
            output: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (kvBlocks, chunkedPrefill, ops) => {
          const cap = kvBlocks * 4;
          const attempts = ops.map((o) => {
            const prompt = 1 + Math.floor(o.prompt * (cap / 2));
            return gpuAttempt({ atMs: o.at, prompt, output: 1 + Math.floor(o.output * (cap - prompt - 1)) });
          });
          const { sim, pool } = makePool({
            timing: { model: 'fitted', coefficients: { a: 10, b: 0.1, c: 1 } },
            scheduler: { kvBlocks, blockSize: 4, chunkedPrefill, chunkSize: 8, maxBatchedTokens: 32 },
          });
          submitAll(sim, pool, attempts);
          sim.run(1_000_000);
          for (const a of attempts) expect([a.status, a.outputTokens]).toEqual(['ok', a.work.outputTokens]);
          expect(pool.members[0]!.kvUsage).toBe(0);
        },
      ),
      { numRuns: 200, seed: 1234 },
    );
  });
});
