/**
 * Disaggregated prefill and decode (src/providers/gpu/disaggregated-pool.ts): exact timelines
 * (prefill on the prefill GPU's time model, the KV transfer, decode on the decode replica), the
 * decider, KV waits on a full decode replica, conservation without KV leaks, and the provider
 * contract.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../../src/engine/simulation.ts';
import type { Attempt } from '../../../src/providers/attempt.ts';
import { FaultyProvider } from '../../../src/providers/faults/faulty-provider.ts';
import { GPUS, kvBytesPerToken, MODELS } from '../../../src/providers/gpu/catalog.ts';
import { DisaggregatedPool } from '../../../src/providers/gpu/disaggregated-pool.ts';
import { disaggregates, kvTransferMs } from '../../../src/providers/gpu/kv-transfer.ts';
import { resolveDisaggregatedSetup } from '../../../src/providers/gpu/setup.ts';
import { rooflineModel } from '../../../src/providers/gpu/time-model.ts';
import { SinkLog } from '../harness.ts';
import { runProviderContract } from '../provider.case.ts';
import { aloneTimes, type GpuInput, gpuAttempt, gpuConfig, K, submitAll } from './gpu-harness.ts';

const MODEL = MODELS['llama-3.1-8b']!;
/** 128 KiB of KV per token: 1000 tokens over 131.072 GB/s take exactly 1 ms. */
const EXACT_LINK = { bandwidthGBps: 131.072, latency: 2 };

function disaggregated(fields: Partial<GpuInput> = {}, rng: () => number = () => 0.5) {
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  const config = gpuConfig({
    disaggregation: { prefill: { replicas: 1 }, transfer: EXACT_LINK },
    ...fields,
  });
  const provider = new FaultyProvider(
    (s, faults) => new DisaggregatedPool(resolveDisaggregatedSetup(config), sim, s, rng, faults),
    sim,
    sink,
    rng,
  );
  return { sim, sink, pool: provider.inner as DisaggregatedPool, provider };
}

describe('KV transfer time and the decider', () => {
  it('moves KV bytes of the prompt over the bandwidth, plus the latency', () => {
    expect(kvBytesPerToken(MODEL)).toBe(131_072);
    expect(kvTransferMs(MODEL, 1000, { bandwidthGBps: 131.072, latencyMs: 2 })).toBe(3);
    // 16k tokens of Llama-3.1-8B (2.15 GB) at 50 GB/s: 42.95 ms + 0.5 ms.
    expect(kvTransferMs(MODEL, 16_384, { bandwidthGBps: 50, latencyMs: 0.5 })).toBeCloseTo(43.45, 2);
  });

  it('disaggregates always, or from the threshold of uncached prompt tokens up', () => {
    expect(disaggregates('always', 1)).toBe(true);
    expect(disaggregates({ minUncachedPromptTokens: 512 }, 511)).toBe(false);
    expect(disaggregates({ minUncachedPromptTokens: 512 }, 512)).toBe(true);
  });
});

describe('one request, disaggregated: exact timeline', () => {
  it('prefill (fitted) + transfer + decode steps on the decode replica', () => {
    const { sim, sink, pool, provider } = disaggregated();
    const P = 1000;
    const N = 5;
    const a = gpuAttempt({ prompt: P, output: N });
    submitAll(sim, provider, [a]);
    sim.run(Number.POSITIVE_INFINITY);
    const prefillEnd = aloneTimes(K, P, 1).ttft;
    const alone = aloneTimes(K, P, N);
    expect(a.status).toBe('ok');
    expect(a.outputTokens).toBe(N);
    expect(a.serviceStartMs).toBe(0);
    expect(a.firstTokenMs).toBe(prefillEnd + 3);
    expect(a.endMs).toBeCloseTo(prefillEnd + 3 + (alone.e2e - alone.ttft), 9);
    expect(sink.of(a)).toHaveLength(1);
    // One prefill iteration on the prefill replica; N - 1 decode steps, no prefill beside them.
    expect(pool.prefill[0]!.iterations).toBe(1);
    expect(pool.decode.members[0]!.iterations).toBe(N - 1);
    const stats = pool.stats(a.endMs);
    expect(stats['disaggregated']).toBe(1);
    expect(stats['kvTransferMsMax']).toBeCloseTo(3, 1);
    expect(stats['kvWaitMsMean']).toBe(0);
    expect(stats['decodeStepsWithPrefillShare']).toBe(0);
  });

  it('prefills on the prefill GPU type (A100, roofline) and decodes on the pool GPU (H100)', () => {
    const { sim, pool, provider } = disaggregated({
      timing: 'auto',
      disaggregation: { prefill: { replicas: 1, gpu: 'a100-80gb' }, transfer: EXACT_LINK },
    });
    const P = 1000;
    const a = gpuAttempt({ prompt: P, output: 3 });
    submitAll(sim, provider, [a]);
    sim.run(Number.POSITIVE_INFINITY);
    const a100 = rooflineModel(MODEL, GPUS['a100-80gb']!, 1);
    const h100 = rooflineModel(MODEL, GPUS['h100-80gb']!, 1);
    const prefill = a100.iterationMs({
      prefillTokens: P,
      prefillAttention: P * (P / 2),
      prefillSeqs: 1,
      decodeSeqs: 0,
      decodeContext: 0,
    });
    expect(a.firstTokenMs).toBe(prefill + 3);
    const step = (context: number) =>
      h100.iterationMs({ prefillTokens: 0, prefillAttention: 0, decodeSeqs: 1, decodeContext: context });
    expect(a.endMs).toBeCloseTo(prefill + 3 + step(P + 1) + step(P + 2), 9);
    expect(pool.stats(a.endMs)['prefillTimeModel']).toBe('roofline');
  });

  it('a request of one output token, or under the threshold, is served colocated on the decode replica', () => {
    const { sim, pool, provider } = disaggregated({
      disaggregation: {
        prefill: { replicas: 1 },
        transfer: EXACT_LINK,
        decider: { minUncachedPromptTokens: 500 },
      },
    });
    const short = gpuAttempt({ prompt: 400, output: 5 });
    const long = gpuAttempt({ prompt: 600, output: 5, atMs: 1000 });
    const one = gpuAttempt({ prompt: 800, output: 1, atMs: 2000 });
    submitAll(sim, provider, [short, long, one]);
    sim.run(Number.POSITIVE_INFINITY);
    expect([short, long, one].map((a) => a.status)).toEqual(['ok', 'ok', 'ok']);
    expect(short.firstTokenMs).toBe(aloneTimes(K, 400, 1).ttft); // prefilled where it decodes
    expect(long.firstTokenMs).toBe(
      1000 + aloneTimes(K, 600, 1).ttft + kvTransferMs(MODEL, 600, { bandwidthGBps: 131.072, latencyMs: 2 }),
    );
    const stats = pool.stats(3000);
    expect(stats['disaggregated']).toBe(1);
    expect(stats['colocated']).toBe(2);
    expect(pool.prefill[0]!.iterations).toBe(1);
  });

  it('the threshold counts uncached tokens: a prompt cached on the decode replica stays there', () => {
    const { sim, pool, provider } = disaggregated({
      prefixCache: { enabled: true },
      disaggregation: {
        prefill: { replicas: 1 },
        transfer: EXACT_LINK,
        decider: { minUncachedPromptTokens: 500 },
      },
    });
    // The first prefills the shared 480-token prefix on the decode replica (the prompt is under
    // the threshold); the second then has only 100 uncached tokens of 900.
    const first = gpuAttempt({ prompt: 480, output: 2, prefixId: 7, prefixTokens: 480 });
    const second = gpuAttempt({ prompt: 900, output: 2, prefixId: 7, prefixTokens: 480, atMs: 1000 });
    const third = gpuAttempt({ prompt: 900, output: 2, atMs: 2000 });
    submitAll(sim, provider, [first, second, third]);
    sim.run(Number.POSITIVE_INFINITY);
    const stats = pool.stats(3000);
    // 900 - 480 cached = 420 < 500: colocated; the third shares nothing: disaggregated.
    expect(stats['colocated']).toBe(2);
    expect(stats['disaggregated']).toBe(1);
    expect(second.cachedInputTokens).toBe(480);
  });
});

describe('KV space on the decode replica', () => {
  it('a transfer waits for blocks: the second request decodes once the first frees them', () => {
    // 100 blocks of 16 tokens; each request needs ceil(1001 / 16) = 63 blocks, then more as it decodes.
    const { sim, pool, provider } = disaggregated({
      scheduler: { kvBlocks: 100, watermark: 0 },
      disaggregation: { prefill: { replicas: 2 }, transfer: EXACT_LINK },
    });
    const a = gpuAttempt({ prompt: 1000, output: 20 });
    const b = gpuAttempt({ prompt: 1000, output: 20 });
    submitAll(sim, provider, [a, b]);
    sim.run(Number.POSITIVE_INFINITY);
    expect([a.status, b.status]).toEqual(['ok', 'ok']);
    const prefillEnd = aloneTimes(K, 1000, 1).ttft;
    expect(a.firstTokenMs).toBe(prefillEnd + 3);
    // b's blocks were taken only after a ended (the same iteration end), then its KV arrived.
    expect(b.firstTokenMs).toBe(a.endMs + 3);
    expect(pool.stats(b.endMs)['kvWaitMsMean']).toBeCloseTo((a.endMs - prefillEnd) / 2, 2); // rounded to the microsecond
    expect(pool.decode.members[0]!.kvUsage).toBe(0);
  });

  it('without chunked prefill, a transfer waiting for its KV never pauses the decoders', () => {
    const { sim, provider } = disaggregated({
      scheduler: { chunkedPrefill: false },
      disaggregation: {
        prefill: { replicas: 1 },
        transfer: { bandwidthGBps: 100, latency: 1000 },
        decider: { minUncachedPromptTokens: 500 },
      },
    });
    // a decodes on the decode replica (colocated); b's KV is taken blocks for at ~0.2 s and arrives after a ends.
    const a = gpuAttempt({ prompt: 400, output: 50 });
    const b = gpuAttempt({ prompt: 600, output: 5, atMs: 10 });
    submitAll(sim, provider, [a, b]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(b.firstTokenMs).toBeGreaterThan(a.endMs);
    expect(a.endMs).toBeCloseTo(aloneTimes(K, 400, 50).e2e, 9);
  });

  it('refuses a request larger than a decode replica holds (400 at once, never a hang)', () => {
    const { sim, sink, provider } = disaggregated({ scheduler: { kvBlocks: 10 } });
    const a = gpuAttempt({ prompt: 200, output: 5 });
    submitAll(sim, provider, [a]);
    sim.run(Number.POSITIVE_INFINITY);
    expect(a.status).toBe('bad_request');
    expect(sink.of(a)).toHaveLength(1);
  });
});

describe('conservation', () => {
  it('every request ends exactly once and every KV block is free at the end (fast-check)', () => {
    const request = fc.record({
      at: fc.integer({ min: 0, max: 2000 }),
      prompt: fc.integer({ min: 1, max: 3000 }),
      output: fc.integer({ min: 1, max: 60 }),
      cancelAfter: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 2000 }),
        (reqs, threshold) => {
          const { sim, sink, pool, provider } = disaggregated({
            replicas: 2,
            scheduler: { kvBlocks: 300, maxBatchedTokens: 1024 },
            disaggregation: {
              prefill: { replicas: 2 },
              transfer: { bandwidthGBps: 10, latency: 1 },
              decider: threshold === 0 ? 'always' : { minUncachedPromptTokens: threshold },
            },
          });
          const attempts: Attempt[] = [];
          for (const r of reqs) {
            const a = gpuAttempt({ atMs: r.at, prompt: r.prompt, output: r.output });
            attempts.push(a);
            sim.at(r.at, () => provider.submit(a), undefined);
            if (r.cancelAfter !== undefined)
              sim.at(
                r.at + r.cancelAfter,
                () => {
                  if (a.status === 'pending') provider.cancel(a);
                },
                undefined,
              );
          }
          sim.run(Number.POSITIVE_INFINITY);
          for (const a of attempts) {
            const reports = sink.of(a);
            // A cancel is reported by the pool (the gateway stopped waiting): once, like any end.
            expect(reports.length).toBe(1);
            expect(a.status).not.toBe('pending');
            if (a.status === 'ok') {
              expect(a.outputTokens).toBe(a.work.outputTokens);
              expect(a.firstTokenMs).toBeLessThanOrEqual(a.endMs);
            }
          }
          for (const r of [...pool.decode.members, ...pool.prefill]) {
            expect(r.kvUsage).toBe(0);
            expect(r.load).toBe(0);
          }
          expect(pool.inFlightTransfers).toBe(0);
        },
      ),
      { numRuns: 120, seed: 20_261_206 },
    );
  });
});

runProviderContract('disaggregated pool (2 decode, 2 prefill, small KV, always)', (scheduler, sink) => {
  const config = gpuConfig({
    replicas: 2,
    slowStart: 500,
    scheduler: { kvBlocks: 400, maxBatchedTokens: 2048 },
    disaggregation: { prefill: { replicas: 2 }, transfer: { bandwidthGBps: 20, latency: 1 } },
  });
  const rng = () => 0.37;
  return new FaultyProvider(
    (s, faults) => new DisaggregatedPool(resolveDisaggregatedSetup(config), scheduler, s, rng, faults),
    scheduler,
    sink,
    rng,
  );
});

runProviderContract(
  'disaggregated pool (3 decode least-loaded, 1 prefill on A100, threshold, prefix cache)',
  (scheduler, sink) => {
    const config = gpuConfig({
      replicas: 3,
      balancer: 'least-loaded',
      slowStart: 0,
      prefixCache: { enabled: true },
      disaggregation: {
        prefill: { replicas: 1, gpu: 'a100-80gb' },
        decider: { minUncachedPromptTokens: 300 },
      },
    });
    const rng = () => 0.61;
    return new FaultyProvider(
      (s, faults) => new DisaggregatedPool(resolveDisaggregatedSetup(config), scheduler, s, rng, faults),
      scheduler,
      sink,
      rng,
    );
  },
);
