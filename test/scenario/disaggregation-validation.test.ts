/**
 * The `disaggregation:` block of a GPU pool: defaults (documented beside them in
 * disaggregation-schema.ts), and bad input answered with the path, what was expected and what was
 * found, changing nothing.
 */
import { describe, expect, it } from 'vitest';
import { ScenarioInvalidError } from '../../src/errors.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import type { GpuProviderConfig } from '../../src/scenario/schema.ts';

function scenario(pool: string): string {
  return `name: d
duration: 1m
providers:
  - name: pool
    kind: gpu
    model: llama-3.1-70b
    gpu: h100-80gb
    tensorParallel: 4
    replicas: 2
${pool}
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: c }]
`;
}

async function problems(yaml: string): Promise<string[]> {
  try {
    await loadScenarioText(yaml, 'scenario.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioInvalidError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the scenario to be invalid');
}

describe('disaggregation: defaults', () => {
  it('a prefill pool on the pool GPU, a 50 GB/s + 0.5 ms link, every request disaggregated', async () => {
    const { scenario: s } = await loadScenarioText(
      scenario('    disaggregation:\n      prefill: { replicas: 3 }'),
      'scenario.yaml',
    );
    const p = s.providers[0] as GpuProviderConfig;
    expect(p.disaggregation).toEqual({
      enabled: true,
      prefill: { replicas: 3 },
      transfer: { bandwidthGBps: 50, latency: 0.5 },
      decider: 'always',
    });
  });
});

describe('disaggregation: bad input', () => {
  it('an unknown prefill GPU names the path and the nearest catalog entry', async () => {
    expect(
      await problems(scenario('    disaggregation:\n      prefill: { replicas: 1, gpu: h100-80g }')),
    ).toEqual([
      "scenario.yaml:11:36: providers[0].disaggregation.prefill.gpu: expected a gpu from the catalog (a100-80gb, h100-80gb, h200, l40s) or an inline profile (did you mean 'h100-80gb'?), got 'h100-80g'",
    ]);
  });

  it('a prefill replica the model does not fit on', async () => {
    expect(
      await problems(
        scenario('    disaggregation:\n      prefill: { replicas: 1, gpu: l40s, tensorParallel: 2 }'),
      ),
    ).toEqual([
      'scenario.yaml:11:58: providers[0].disaggregation.prefill.tensorParallel: expected the model to fit on a prefill replica with room for a KV cache: 141.2 GB of weights in 86.4 GB usable at tensorParallel 2; raise tensorParallel, got 2',
    ]);
  });

  it('decode replicas whose KV cache holds no request the decider sends them', async () => {
    expect(
      await problems(
        scenario(
          '    scheduler: { kvBlocks: 100 }\n    disaggregation:\n      prefill: { replicas: 1 }\n      decider: { minUncachedPromptTokens: 5000 }',
        ),
      ),
    ).toEqual([
      "scenario.yaml:13:43: providers[0].disaggregation.decider.minUncachedPromptTokens: expected a threshold whose requests fit a decode replica's KV cache (1,600 tokens): every request the decider disaggregates would be refused; lower it or give the decode replicas more KV (kvBlocks, tensorParallel), got 5,000",
    ]);
  });

  it('a disaggregated pool exposed as replicas, or autoscaled, and a bad link and decider', async () => {
    const lines = await problems(
      scenario(
        '    expose: replicas\n    autoscaling: { min: 1, max: 2, target: 4 }\n    disaggregation:\n      prefill: { replicas: 1 }\n      transfer: { bandwidthGBps: 0 }\n      decider: sometimes',
      ),
    );
    expect(lines.map((l) => l.split(': ')[0])).toEqual(['scenario.yaml:14:34', 'scenario.yaml:15:16']);
    expect(lines[0]).toContain(
      'providers[0].disaggregation.transfer.bandwidthGBps: expected a bandwidth in GB/s (a number > 0), got 0',
    );
    expect(lines[1]).toContain(
      "providers[0].disaggregation.decider: expected 'always' or { minUncachedPromptTokens: N }, got 'sometimes'",
    );
    const refs = await problems(
      scenario(
        '    expose: replicas\n    autoscaling: { min: 1, max: 2, target: 4 }\n    disaggregation:\n      prefill: { replicas: 1 }',
      ),
    );
    expect(refs).toEqual([
      "scenario.yaml:10:13: providers[0].expose: expected 'expose: pool' on a disaggregated pool (the pool pairs a prefill replica with a decode replica itself), got 'replicas'",
      "scenario.yaml:11:18: providers[0].autoscaling: expected no autoscaler on a disaggregated pool (it would scale one pool, and a prefill pool and a decode pool need one each), got one: remove 'autoscaling' or 'disaggregation'",
    ]);
  });

  it('a fitted time model without a fit for the prefill GPU and TP (which would fail at run time)', async () => {
    expect(
      await problems(
        scenario(
          '    timing: { model: fitted }\n    disaggregation:\n      prefill: { replicas: 1, gpu: l40s }',
        ).replace('llama-3.1-70b', 'llama-2-70b'),
      ),
    ).toEqual([
      "scenario.yaml:12:16: providers[0].disaggregation.prefill: expected 'from' or 'coefficients', got neither: the catalog has no fit for 'llama-2-70b/l40s/tp4' (it has llama-2-70b/h100-80gb/tp2, llama-2-70b/h100-80gb/tp4, llama-2-70b/h100-80gb/tp8, llama-2-70b/a100-80gb/tp2, llama-2-70b/a100-80gb/tp4, llama-2-70b/a100-80gb/tp8)",
    ]);
    // A prefill TP the catalog has a fit for is fine.
    await loadScenarioText(
      scenario(
        '    timing: { model: fitted }\n    disaggregation:\n      prefill: { replicas: 1, tensorParallel: 2 }',
      ).replace('llama-3.1-70b', 'llama-2-70b'),
      'scenario.yaml',
    );
  });

  it('an inline prefill GPU profile', async () => {
    const { scenario: s } = await loadScenarioText(
      scenario(
        '    disaggregation:\n      prefill: { replicas: 1, gpu: { memoryGB: 80, bandwidthTBps: 3, bf16Tflops: 900 } }',
      ),
      'scenario.yaml',
    );
    expect((s.providers[0] as GpuProviderConfig).disaggregation?.prefill.gpu).toMatchObject({
      mfuPrefill: 0.45,
    });
  });

  it('enabled: false checks nothing more: the pool is colocated', async () => {
    const { scenario: s } = await loadScenarioText(
      scenario(
        '    expose: replicas\n    disaggregation:\n      enabled: false\n      prefill: { replicas: 1 }',
      ),
      'scenario.yaml',
    );
    expect((s.providers[0] as GpuProviderConfig).disaggregation?.enabled).toBe(false);
  });
});
