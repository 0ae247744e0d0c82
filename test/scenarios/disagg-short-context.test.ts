/**
 * scenarios/disagg-short-context.yaml: chat with ~256-token prompts on four H100s. Split into two
 * prefill and two decode replicas, the prefill pool half idles while the decode pool carries every
 * stream: the TPOT and goodput SLOs fail. The same GPUs colocated pass all three; llm-d's decider
 * (every prompt short) puts everything on the two decode replicas and collapses.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/disagg-short-context.yaml');
const SEEDS = [1, 2, 3];
const COLOCATED = ['providers[pool].disaggregation.enabled=false', 'providers[pool].replicas=4'];

async function run(seed: number, ...sets: string[]): Promise<RunResult> {
  return simulate(await loadScenarioFile(FILE, { overrides: sets.map(parseOverride) }), { seed });
}

describe('scenarios/disagg-short-context.yaml', () => {
  it.each(SEEDS)('seed %i: disaggregated fails the TPOT and goodput SLOs; colocated passes', async (seed) => {
    const split = await run(seed);
    const colocated = await run(seed, ...COLOCATED);

    // Measured (seeds 1-3): TPOT p99 41-43 ms, goodput 73-74%, `recovered`.
    expect(split.latency.tpot.p99!).toBeGreaterThan(32);
    expect(split.requests.goodputShare).toBeLessThan(0.85);
    expect(split.slos.filter((s) => !s.pass).map((s) => s.metric)).toEqual(['tpot.p99', 'goodputShare']);
    expect(split.recovery!.triggers[0]!.verdict).not.toBe('stable');
    // Colocated: TPOT p99 ~17 ms, goodput 100%, `stable`; a lower TTFT p99 too (~75 vs ~95 ms).
    expect(colocated.pass).toBe(true);
    expect(colocated.latency.tpot.p99!).toBeLessThan(21);
    expect(colocated.requests.goodputShare).toBeGreaterThan(0.99);
    expect(colocated.recovery!.triggers[0]!.verdict).toBe('stable');
    expect(colocated.latency.ttft.p99!).toBeLessThan(split.latency.ttft.p99!);

    // Why: the prefill pool half idles, the decode pool is saturated; transfers are ~1 ms.
    const d = split.providers['pool']!.details!;
    expect(d['prefillUtilization']).toBeLessThan(0.65);
    expect(d['decodeUtilization']).toBeGreaterThan(0.9);
    expect(d['kvTransferMsP50']).toBeGreaterThan(0.5);
    expect(d['kvTransferMsP50']).toBeLessThan(3);
  });

  it('enabled: false is the plain colocated pool: the same bytes as the file without the block', async () => {
    const text = await readFile(FILE, 'utf8');
    const plain = text
      .replace(/ {4}# Prefill on its own replicas[^\n]*\n {4}disaggregation:\n( {6}[^\n]*\n)+/, '')
      .replace('replicas: 2\n', 'replicas: 4\n');
    const loaded = await loadScenarioText(plain, FILE);
    expect(loaded.scenario.providers[0]).not.toHaveProperty('disaggregation');
    expect(loaded.scenario.providers[0]).toMatchObject({ replicas: 4 });
    const without = await simulate(loaded, { seed: 2 });
    const disabled = await run(2, ...COLOCATED);
    expect(JSON.stringify(disabled)).toBe(JSON.stringify(without));
  });

  it("llm-d's decider keeps every short prompt on the decode replicas: the idle prefill pool cannot help", async () => {
    const r = await run(1, 'providers[pool].disaggregation.decider={minUncachedPromptTokens: 1024}');
    const d = r.providers['pool']!.details!;
    // Measured: goodput ~0%, prefill pool idle (a p99 prompt of 1024 tokens is the rare exception).
    expect(d['prefillUtilization']).toBeLessThan(0.05);
    expect(d['colocated'] as number).toBeGreaterThan(50 * (d['disaggregated'] as number));
    expect(d['decodeStepsWithPrefillShare']).toBeGreaterThan(0.5);
    expect(d['decodeStepMsWithPrefill']).toBeGreaterThan(d['decodeStepMsPure'] as number);
    expect(r.requests.goodputShare).toBeLessThan(0.2);
  });
});
