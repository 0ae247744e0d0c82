/**
 * A disaggregated pool's prefix-cache stats (DisaggregatedPool.prefixCacheStats): its prefill
 * replicas hold the caches the disaggregated requests use, its decode replicas those of requests
 * served colocated; the stats count both, agree with the attempts' cached tokens and with the
 * TTFT they save, and reach the result and the report.
 */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../../src/engine/simulation.ts';
import { FaultyProvider } from '../../../src/providers/faults/faulty-provider.ts';
import { DisaggregatedPool } from '../../../src/providers/gpu/disaggregated-pool.ts';
import { resolveDisaggregatedSetup } from '../../../src/providers/gpu/setup.ts';
import { renderRunReport } from '../../../src/report/index.ts';
import { loadScenarioObject } from '../../../src/scenario/load.ts';
import type { ScenarioInput } from '../../../src/scenario/schema.ts';
import { simulate } from '../../../src/simulator/simulate.ts';
import { SinkLog } from '../harness.ts';
import { type GpuInput, gpuAttempt, gpuConfig, submitAll } from './gpu-harness.ts';

const LINK = { bandwidthGBps: 131.072, latency: 2 };

function disaggregated(fields: Partial<GpuInput> = {}) {
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  const rng = () => 0.5;
  const config = gpuConfig({ disaggregation: { prefill: { replicas: 1 }, transfer: LINK }, ...fields });
  const provider = new FaultyProvider(
    (s, faults) => new DisaggregatedPool(resolveDisaggregatedSetup(config), sim, s, rng, faults),
    sim,
    sink,
    rng,
  );
  return { sim, pool: provider.inner as DisaggregatedPool, provider };
}

/** Eight 2048-token prompts, 10 s apart (each alone), sharing a `shared`-token prefix. */
function sharedPrefixRun(shared: number) {
  const { sim, pool, provider } = disaggregated({ prefixCache: { enabled: true } });
  const attempts = Array.from({ length: 8 }, (_, i) =>
    gpuAttempt({ prompt: 2048, output: 4, prefixId: 1, prefixTokens: shared, atMs: i * 10_000 }),
  );
  submitAll(sim, provider, attempts);
  sim.run(Number.POSITIVE_INFINITY);
  for (const a of attempts) expect(a.status).toBe('ok');
  const ttft = attempts.reduce((s, a) => s + (a.firstTokenMs - a.startMs), 0) / attempts.length;
  return { stats: pool.prefixCacheStats()!, attempts, ttft, pool };
}

describe('a disaggregated pool reports its prefix caches', () => {
  it('counts the hits of shared-prefix traffic on the prefill replica, after the decode replicas', () => {
    const { stats, attempts, pool } = sharedPrefixRun(1024);
    expect(pool.stats(80_000)['disaggregated']).toBe(8);
    // The first prefills the prefix; the seven after it find its 1024 tokens cached.
    expect(stats.promptTokens).toBe(8 * 2048);
    expect(stats.cachedTokens).toBe(7 * 1024);
    expect(stats.cachedTokens).toBe(attempts.reduce((s, a) => s + a.cachedInputTokens, 0));
    // Decode replica 0 (nothing colocated), then prefill replica 0 (every prefill).
    expect(stats.replicas).toEqual([
      { promptTokens: 0, cachedTokens: 0 },
      { promptTokens: 8 * 2048, cachedTokens: 7 * 1024 },
    ]);
  });

  it('more hits, less prefill: a longer shared prefix caches more tokens and lowers TTFT', () => {
    const runs = [0, 512, 1024, 1536].map(sharedPrefixRun);
    const cached = runs.map((r) => r.stats.cachedTokens);
    expect(cached).toEqual([0, 7 * 512, 7 * 1024, 7 * 1536]);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.ttft).toBeLessThan(runs[i - 1]!.ttft);
      expect(runs[i]!.pool.prefill[0]!.busyMs).toBeLessThan(runs[i - 1]!.pool.prefill[0]!.busyMs);
    }
    // Only the requests that hit are faster than the one that prefilled the whole prompt.
    const [first, ...rest] = runs[2]!.attempts;
    for (const a of rest)
      expect(a.firstTokenMs - a.startMs).toBeLessThan(first!.firstTokenMs - first!.startMs);
  });

  it('counts requests served colocated on the decode replica there', () => {
    const { sim, pool, provider } = disaggregated({
      prefixCache: { enabled: true },
      disaggregation: { prefill: { replicas: 1 }, transfer: LINK, decider: { minUncachedPromptTokens: 500 } },
    });
    const short = [0, 1, 2].map((i) =>
      gpuAttempt({ prompt: 480, output: 2, prefixId: 7, prefixTokens: 480, atMs: i * 1000 }),
    );
    submitAll(sim, provider, short);
    sim.run(Number.POSITIVE_INFINITY);
    // Under the threshold: prefilled on the decode replica, whose cache serves the later two
    // (all but the last token's block: 464 of 480 tokens with 16-token blocks).
    const stats = pool.prefixCacheStats()!;
    expect(stats.replicas[1]).toEqual({ promptTokens: 0, cachedTokens: 0 });
    expect(stats.replicas[0]!.promptTokens).toBe(3 * 480);
    expect(stats.replicas[0]!.cachedTokens).toBe(short.reduce((s, a) => s + a.cachedInputTokens, 0));
    expect(stats.replicas[0]!.cachedTokens).toBeGreaterThan(0);
  });

  it('reports nothing with prefix caching off', () => {
    expect(disaggregated().pool.prefixCacheStats()).toBeUndefined();
  });

  it('shows them in the result and the report', async () => {
    const scenario: ScenarioInput = {
      name: 'disagg-prefix',
      duration: '20s',
      providers: [
        {
          name: 'p',
          kind: 'gpu',
          model: 'llama-3.1-8b',
          gpu: 'h100-80gb',
          replicas: 2,
          prefixCache: { enabled: true },
          disaggregation: { prefill: { replicas: 2 }, transfer: { bandwidthGBps: 50, latency: '0.5ms' } },
        },
      ],
      workload: {
        arrivals: { process: 'poisson', rate: '5/s' },
        classes: [
          {
            name: 'c',
            promptTokens: 2048,
            outputTokens: 16,
            prefix: { groups: 2, tokens: 1024 },
          },
        ],
      },
    } as ScenarioInput;
    const loaded = await loadScenarioObject(scenario);
    const result = await simulate(loaded);
    const p = result.providers['p']!;
    const c = p.prefixCache!;
    expect(c.replicas).toHaveLength(4); // 2 decode, then 2 prefill
    expect(c.cachedTokens).toBeGreaterThan(0);
    expect(c.replicas[2]!.cachedTokens + c.replicas[3]!.cachedTokens).toBeGreaterThan(0);
    expect(c.tokenHitRate).toBeCloseTo(c.cachedTokens / c.promptTokens, 6);
    expect(renderRunReport(result, loaded.scenario)).toContain('id="prefix-cache-table"');
  });
});
