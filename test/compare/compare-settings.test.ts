/**
 * `compare --entry`: entries that change scenario settings (autoscaler min replicas, max, target,
 * node pools) instead of policies, run on the same seeds as each other, ranked by cost or fleet
 * cost, with the fleet cost's CI beside the SLOs and the cheapest entry that passes them all.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatComparison } from '../../src/cli/commands/compare.ts';
import { type CompareResult, compare } from '../../src/compare/compare.ts';
import { isAutoscalerSetting, parseParam } from '../../src/compare/plan.ts';
import { parsePolicyList } from '../../src/compare/policy-spec.ts';
import { checkUniqueLabels, parseSettingsEntry } from '../../src/compare/settings-entry.ts';
import { renderCompareReport } from '../../src/report/index.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { runCli } from '../cli/process.ts';

const SPIKE = resolve('scenarios/autoscale-spike.yaml');
const MIN = 'providers[pool].autoscaling.min';

describe('capacity plans over node pools', () => {
  it('run a range through nodePool value by value, as through autoscaling: cost is not monotone there', () => {
    expect(isAutoscalerSetting('providers[pool].nodePool.gpusPerNode')).toBe(true);
    expect(isAutoscalerSetting('providers[pool].nodePool')).toBe(true);
    expect(parseParam('providers[pool].nodePool.maxNodes=1..3').monotone).toBe(false);
    expect(isAutoscalerSetting('providers[pool].nodePoolX')).toBe(false);
  });
});

describe('parseSettingsEntry', () => {
  it('reads a label and overrides separated by semicolons, values as YAML (colons and commas inside)', () => {
    expect(parseSettingsEntry(`static 6: ${MIN}=6; providers[pool].autoscaling.max=6`)).toEqual({
      label: 'static 6',
      calls: [],
      settings: [
        { path: MIN, value: 6 },
        { path: 'providers[pool].autoscaling.max', value: 6 },
      ],
    });
    expect(
      parseSettingsEntry(
        'slow nodes: providers[pool].autoscaling.provisioning={dist: uniform, min: 3m, max: 5m}',
      ).settings,
    ).toEqual([
      { path: 'providers[pool].autoscaling.provisioning', value: { dist: 'uniform', min: '3m', max: '5m' } },
    ]);
    // Without a label, the overrides are the label.
    expect(parseSettingsEntry(`${MIN}=4`).label).toBe(`${MIN}=4`);
  });

  it('refuses an entry without overrides, a bad override, and two entries with one label', () => {
    expect(() => parseSettingsEntry('min 4:')).toThrow(
      /--entry 'min 4:': expected 'LABEL: PATH=VALUE; PATH=VALUE'/,
    );
    expect(() => parseSettingsEntry('min 4: providers')).toThrow(
      /--entry 'min 4': providers: expected PATH=VALUE/,
    );
    expect(() => parseSettingsEntry('x: __proto__.a=1')).toThrow(/not a scenario key/);
    expect(() =>
      checkUniqueLabels([...parsePolicyList('round-robin'), parseSettingsEntry(`round-robin: ${MIN}=3`)]),
    ).toThrow(/two entries are labelled 'round-robin'/);
  });
});

describe('compare over autoscaler settings on autoscale-spike.yaml (seeds 1-3)', () => {
  let r: CompareResult;
  beforeAll(async () => {
    r = await compare({
      file: SPIKE,
      entries: [
        parseSettingsEntry(`min 2: ${MIN}=2`),
        parseSettingsEntry(`min 3: ${MIN}=3`),
        parseSettingsEntry(`warm buffer (min 4): ${MIN}=4`),
        parseSettingsEntry(`static 6: ${MIN}=6; providers[pool].autoscaling.max=6`),
      ],
      seeds: [1, 2, 3],
      jobs: 1,
      objective: 'cost',
      baseOverrides: [],
    });
  }, 120_000);

  it('the warm buffer is the cheapest setting that passes every SLO on every seed, by a significant margin', () => {
    expect(r.entries.map((e) => e.label)).toEqual(['warm buffer (min 4)', 'static 6', 'min 2', 'min 3']);
    expect(r.cheapestPassing).toBe('warm buffer (min 4)');
    const by = (label: string) => r.entries.find((e) => e.label === label)!;
    // The lagging autoscaler fails both SLOs on every seed; the others pass them all.
    expect(by('min 2').seeds.map((s) => s.slosPassed)).toEqual([0, 0, 0]);
    for (const label of ['min 3', 'warm buffer (min 4)', 'static 6'])
      expect(by(label).seeds.every((s) => s.pass)).toBe(true);
    // Seed by seed the buffer costs less than min 3 (which overshoots) and the static fleet.
    const buffer = by('warm buffer (min 4)').seeds;
    for (const label of ['min 3', 'static 6', 'min 2']) {
      by(label).seeds.forEach((s, i) => {
        expect(s.seed).toBe(buffer[i]!.seed); // common random numbers
        expect(s.fleetCostUsd!).toBeGreaterThan(buffer[i]!.fleetCostUsd! + 0.2);
      });
      expect(by(label).vsLeader!.significant).toBe(true);
    }
    // The static fleet: 6 replicas billed for the run and its drain (16.5 min at $2.50).
    expect(by('static 6').seeds.map((s) => s.fleetCostUsd)).toEqual([4.125, 4.125, 4.125]);
  });

  it('carries the fleet cost with its CI (here all of the cost: the pool prices no tokens) and the overrides', () => {
    for (const e of r.entries) {
      expect(e.summary.fleetCostUsd!.n).toBe(3);
      expect(e.summary.fleetCostUsd!.mean).toBeCloseTo(e.summary.costUsd.mean, 9);
      expect(e.overrides[0]!.path).toBe(MIN);
    }
    expect(r.entries[0]!.summary.fleetCostUsd!.ci95).toBeGreaterThan(0);
  });

  it('the table shows entries, the fleet cost beside the SLOs, and the cheapest passing entry; the report a fleet-cost column', async () => {
    const text = formatComparison(r);
    expect(text).toMatch(/4 entries x 3 seeds/);
    expect(text).toMatch(/rank +entry +goodput/);
    expect(text).toMatch(/fleet \$ +SLOs/);
    expect(text).toMatch(/warm buffer \(min 4\) .* 3\.\d\d ± 0\.\d\d +6\/6/);
    expect(text).toMatch(/Cheapest that passed every SLO on every seed: warm buffer \(min 4\)/);
    const loaded = await loadScenarioFile(SPIKE);
    const html = renderCompareReport(r, loaded.scenario);
    expect(html).toContain('fleet cost');
    expect(html).toContain('Cheapest that passed every SLO on every seed: warm buffer (min 4).');
  });

  it('ranked by goodput, still shows the fleet cost but names no cheapest entry; a policy comparison has no fleet column', async () => {
    const byGoodput = await compare({
      file: SPIKE,
      entries: [parseSettingsEntry(`min 2: ${MIN}=2`), parseSettingsEntry(`min 4: ${MIN}=4`)],
      seeds: [1],
      jobs: 1,
      objective: 'goodput',
      baseOverrides: [],
    });
    expect(byGoodput.entries.map((e) => e.label)).toEqual(['min 4', 'min 2']);
    expect(byGoodput.cheapestPassing).toBeUndefined();
    expect(byGoodput.entries[0]!.summary.fleetCostUsd!.mean).toBeGreaterThan(3);
    expect(formatComparison(byGoodput)).toMatch(/fleet \$ +SLOs/);
    const policies = await compare({
      file: resolve('scenarios/quickstart.yaml'),
      entries: parsePolicyList('round-robin,least-outstanding'),
      seeds: [1],
      jobs: 1,
      objective: 'goodput',
      baseOverrides: [],
    });
    expect(policies.entries[0]!.summary.fleetCostUsd).toBeUndefined();
    expect(policies.cheapestPassing).toBeUndefined();
    expect(formatComparison(policies)).not.toMatch(/fleet|entry|Cheapest that/);
  }, 60_000);
});

describe('floodgate compare --entry (the built CLI)', () => {
  const E2 = 'min 2: providers[pool].autoscaling.min=2';
  const E4 = 'min 4: providers[pool].autoscaling.min=4';

  it('needs --policies or --entry (exit 2), and names the entry whose override does not apply', async () => {
    const none = await runCli(['compare', SPIKE, '--seeds', '1', '--quiet']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/expected --policies LIST or --entry 'LABEL: PATH=VALUE'/);
    const bad = await runCli([
      'compare',
      SPIKE,
      '--entry',
      'x: providers[nope].autoscaling.min=4',
      '--quiet',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /--entry 'x': providers\[nope\]\.autoscaling\.min: no element named 'nope' \(have pool\)/,
    );
    const invalid = await runCli([
      'compare',
      SPIKE,
      '--entry',
      'x: providers[pool].autoscaling.min=-1',
      '--quiet',
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/providers\[0\]\.autoscaling\.min: expected a count >= 0, got -1/);
    expect(invalid.stdout).toBe('');
  });

  it('sharded and merged, gives the JSON an unsharded run writes, byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floodgate-entry-'));
    const args = [
      'compare',
      SPIKE,
      '--objective',
      'cost',
      '--seeds',
      '2',
      '--entry',
      E2,
      '--entry',
      E4,
      '--quiet',
    ];
    const whole = await runCli([...args, '--jobs', '1', '--out', join(dir, 'whole.json')]);
    expect(whole.code).toBe(0);
    expect(whole.stdout).toMatch(/Cheapest that passed every SLO on every seed: min 4/);
    for (const k of [1, 2])
      expect((await runCli([...args, '--shard', `${k}/2`, '--out', `${dir}/`])).code).toBe(0);
    const merged = await runCli([
      'merge',
      join(dir, 'part-1-of-2.json'),
      join(dir, 'part-2-of-2.json'),
      '--out',
      join(dir, 'merged.json'),
    ]);
    expect(merged.code).toBe(0);
    expect(await readFile(join(dir, 'merged.json'), 'utf8')).toBe(
      await readFile(join(dir, 'whole.json'), 'utf8'),
    );
  }, 60_000);
});
