/**
 * An inline GPU profile can state its GPU-to-GPU bandwidth: a tensor-parallel pool on it pays the
 * all-reduces per prompt token (time-model.ts allReduceMsPerToken), one without a link pays none.
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { simulate } from '../../../src/simulator/simulate.ts';

const scenario = (link: string) => `
name: inline-link
duration: 1m
providers:
  - name: pool
    kind: gpu
    model: llama-3.1-70b
    gpu: { memoryGB: 80, bandwidthTBps: 3.35, bf16Tflops: 989${link} }
    tensorParallel: 4
    replicas: 1
workload:
  arrivals: { process: poisson, rate: 1/s }
  classes:
    - { name: chat, promptTokens: { dist: deterministic, value: 4000 }, outputTokens: { dist: deterministic, value: 8 } }
`;

async function ttftMean(link: string): Promise<number> {
  const loaded = await loadScenarioText(scenario(link), 'inline-link.yaml');
  const result = await simulate(loaded, { seed: 1 });
  return result.classes['chat']!.latency.ttft.mean!;
}

describe('inline GPU interconnect', () => {
  it('makes prefill on a TP 4 pool slower when an inline profile states NVLink bandwidth', async () => {
    const without = await ttftMean('');
    const with450 = await ttftMean(', interconnectGBps: 450');
    const with45 = await ttftMean(', interconnectGBps: 45');
    expect(with450).toBeGreaterThan(without);
    // A tenth of the bandwidth costs more than the full link.
    expect(with45).toBeGreaterThan(with450);
  });

  it('refuses a non-positive interconnect bandwidth with the path', async () => {
    await expect(loadScenarioText(scenario(', interconnectGBps: 0'), 'bad.yaml')).rejects.toThrow(
      /interconnectGBps/,
    );
  });
});
