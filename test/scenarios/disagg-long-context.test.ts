/**
 * scenarios/disagg-long-context.yaml: long prompts, short answers on four H100s. Three prefill
 * replicas and one decode replica keep the ITL tail at the decode step's (~11 ms) and pass all three
 * SLOs; the same GPUs colocated stall streams behind 8k-token prefill chunks and fail the TPOT and
 * goodput SLOs, with a slightly better TTFT. Same seed, same bytes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { renderRunReport } from '../../src/report/index.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/disagg-long-context.yaml');
const SEEDS = [1, 2, 3];
const COLOCATED = ['providers[pool].disaggregation.enabled=false', 'providers[pool].replicas=4'];

async function run(seed: number, ...sets: string[]): Promise<RunResult> {
  return simulate(await loadScenarioFile(FILE, { overrides: sets.map(parseOverride) }), { seed });
}

describe('scenarios/disagg-long-context.yaml', () => {
  it.each(SEEDS)(
    'seed %i: disaggregated passes all SLOs; colocated on the same GPUs fails the ITL tail',
    async (seed) => {
      const split = await run(seed);
      const colocated = await run(seed, ...COLOCATED);

      // Measured (seeds 1-3): TPOT p99 17-21 ms, TTFT p99 2.9-3.6 s, goodput 100%, `stable`.
      expect(split.pass).toBe(true);
      expect(split.slos.every((s) => s.pass)).toBe(true);
      expect(split.latency.tpot.p99!).toBeLessThan(25);
      expect(split.requests.goodputShare).toBeGreaterThan(0.98);
      expect(split.recovery!.triggers[0]!.verdict).toBe('stable');
      // Colocated: TPOT p99 49-84 ms, goodput 70-91%, `recovered`; TTFT p99 2.4-2.6 s.
      expect(colocated.latency.tpot.p99!).toBeGreaterThan(40);
      expect(colocated.latency.tpot.p99!).toBeGreaterThan(2 * split.latency.tpot.p99!);
      expect(colocated.requests.goodputShare).toBeLessThan(0.93);
      expect(colocated.slos.filter((s) => !s.pass).map((s) => s.metric)).toEqual([
        'tpot.p99',
        'goodputShare',
      ]);
      expect(colocated.recovery!.triggers[0]!.verdict).not.toBe('stable');
      // The price: three replicas prefill, not four.
      expect(colocated.latency.ttft.p99!).toBeLessThan(split.latency.ttft.p99!);

      // The details: every request disaggregated, transfers of tens of ms, decode steps without prefill.
      const d = split.providers['pool']!.details!;
      expect(d['colocated']).toBe(0);
      expect(d['prefillReplicas']).toBe(3);
      expect(d['decodeReplicas']).toBe(1);
      expect(d['kvTransferMsP50']).toBeGreaterThan(25);
      expect(d['kvTransferMsP50']).toBeLessThan(60);
      expect(d['decodeStepsWithPrefillShare']).toBe(0);
      expect(d['prefillUtilization']).toBeGreaterThan(0.4);
      expect(d['decodeUtilization']).toBeGreaterThan(0.8);
      // Four GPUs at $2.50 either way.
      expect(split.cost.fleetUsd).toBeCloseTo(colocated.cost.fleetUsd!, 6);
    },
  );

  it('the text summary and the HTML report show both pools, the transfers and decode interference', async () => {
    const loaded = await loadScenarioFile(FILE);
    const r = await simulate(loaded, { seed: 1 });
    const line = formatSummary(r)
      .split('\n')
      .find((l) => l.startsWith('disaggregated pool:'));
    expect(line).toMatch(
      /^disaggregated pool: 3 prefill \+ 1 decode replicas, [\d,]+ requests disaggregated, 0 colocated; KV transfer p50 [\d.]+ ms p99 [\d.]+ ms, KV wait p99 [\d.]+ ms; prefill [\d.]+% busy, decode [\d.]+%; decode step [\d.]+ ms \(with prefill beside it: -, 0\.0% of steps\)$/,
    );
    const html = renderRunReport(r, loaded.scenario);
    const table = html.slice(html.indexOf('id="disaggregation-table"'));
    expect(table).toContain('<th scope="row">pool</th><td>3 / 1</td>');
    expect(table).toContain('KV transfer p99');
    expect(table).toContain('decode step with prefill');
    // A run without a disaggregated pool has no such table.
    const colocated = await run(1, ...COLOCATED);
    expect(renderRunReport(colocated, loaded.scenario)).not.toContain('disaggregation-table');
    expect(formatSummary(colocated)).not.toContain('disaggregated pool');
  });

  it('is deterministic: the same seed gives the same bytes', async () => {
    const [a, b] = [await run(2), await run(2)];
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
