/**
 * compare on a pool with prefix caching: each policy's token hit rate (prompt tokens served by the
 * prefix caches over prompt tokens admitted) with its 95% CI over seeds, in the JSON, the text
 * table and the HTML report; absent when no pool caches prefixes.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatComparison } from '../../src/cli/commands/compare.ts';
import { type CompareResult, compare } from '../../src/compare/compare.ts';
import { runJob } from '../../src/compare/job.ts';
import { parsePolicyList } from '../../src/compare/policy-spec.ts';
import { renderCompareReport } from '../../src/report/index.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { prefixTrace, toJsonl } from '../workload/trace-prefix-fixture.ts';

const scenarioYaml = (trace: string, prefixCache: boolean) => `name: hit-rate
duration: 40s
providers:
  - name: p
    kind: gpu
    model: llama-3.1-8b
    gpu: h100-80gb
    replicas: 4
    expose: replicas
    prefixCache: { enabled: ${prefixCache} }
workload:
  arrivals: { trace: { file: ${JSON.stringify(trace)}, format: jsonl, blockTokens: 512 } }
  classes: [{ name: chat }]
gateway: { routing: round-robin }
metrics: { interval: 10s }
`;

let cached = '';
let uncached = '';
let result: CompareResult;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-compare-hit-'));
  const trace = join(dir, 'trace.jsonl');
  await writeFile(trace, toJsonl(prefixTrace({ seed: 1, conversations: 100, systemPrompts: 4, rateRps: 3 })));
  cached = join(dir, 'cached.yaml');
  uncached = join(dir, 'uncached.yaml');
  await writeFile(cached, scenarioYaml(trace, true));
  await writeFile(uncached, scenarioYaml(trace, false));
  result = await compare({
    file: cached,
    entries: parsePolicyList('round-robin,prefix-scorer'),
    seeds: [1, 2, 3],
    jobs: 1,
    objective: 'ttft-p99',
    baseOverrides: [],
  });
});

describe('compare: token hit rate per policy', () => {
  it('is each seed pool-wide cached over prompt tokens, summarised with a 95% CI over seeds', async () => {
    const byLabel = new Map(result.entries.map((e) => [e.label, e]));
    const rr = byLabel.get('round-robin')!;
    const scorer = byLabel.get('prefix-scorer')!;
    for (const e of [rr, scorer]) {
      expect(e.tokenHitRate!.n).toBe(3);
      expect(e.tokenHitRate!.ci95).toBeGreaterThanOrEqual(0);
      for (const s of e.seeds) expect(s.tokenHitRate).toBeGreaterThan(0);
    }
    // Independently: the run's own prefixCache block for round-robin, seed 2.
    const loaded = await loadScenarioFile(cached);
    const run = await simulate(loaded, { seed: 2 });
    const pc = run.providers['p']!.prefixCache!;
    expect(rr.seeds.find((s) => s.seed === 2)!.tokenHitRate).toBeCloseTo(
      pc.cachedTokens / pc.promptTokens,
      5,
    );
    expect(scorer.tokenHitRate!.mean).toBeGreaterThan(rr.tokenHitRate!.mean);
    console.log(
      result.entries
        .map(
          (e) =>
            `${e.label}: ${(100 * e.tokenHitRate!.mean).toFixed(1)}% ± ${(100 * e.tokenHitRate!.ci95).toFixed(1)}`,
        )
        .join('; '),
    );
  });

  it('shows in the text table and the HTML report (a column and a chart)', async () => {
    const text = formatComparison(result);
    expect(text.split('\n')[2]).toContain('hit rate');
    const rr = result.entries.find((e) => e.label === 'round-robin')!;
    const cell = `${(100 * rr.tokenHitRate!.mean).toFixed(1)}% ± ${(100 * rr.tokenHitRate!.ci95).toFixed(1)}%`;
    expect(text).toContain(cell);
    const html = renderCompareReport(result, (await loadScenarioFile(cached)).scenario);
    expect(html).toContain('token hit rate');
    expect(html).toContain('fig-tokenHitRate');
  });

  it('is absent without prefix caching: no field, no column, no chart', async () => {
    const figures = await runJob({ file: uncached, overrides: [], seed: 1, entry: 0 });
    expect('tokenHitRate' in figures).toBe(false);
    const r = await compare({
      file: uncached,
      entries: parsePolicyList('round-robin'),
      seeds: [1],
      jobs: 1,
      objective: 'ttft-p99',
      baseOverrides: [],
    });
    expect('tokenHitRate' in r.entries[0]!).toBe(false);
    expect(formatComparison(r)).not.toContain('hit rate');
    const html = renderCompareReport(r, (await loadScenarioFile(uncached)).scenario);
    expect(html).not.toContain('fig-tokenHitRate');
  });
});
