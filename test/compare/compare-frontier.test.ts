/**
 * compare with a scenario `quality` section: acceptable share and cost per acceptable answer with
 * intervals over seeds, and the Pareto frontier of the policies. The threshold router with a
 * perfect estimator on the quality harness (difficulty uniform on [0, 1], weak capability 0.6,
 * strong 1): a threshold t <= 0.6 answers everything acceptably at a cost falling with t; above
 * 0.6 the share falls to 1.6 - t and the cost keeps falling. So t = 0 and 0.3 are dominated,
 * t = 0.6, 0.8 and 1 are the frontier.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CompareResult, compare } from '../../src/compare/compare.ts';
import { dominatedBy } from '../../src/compare/frontier.ts';
import { parsePolicyList } from '../../src/compare/policy-spec.ts';

import { qualityScenarioText } from './quality-fixture.ts';

const router = (t: number) => `threshold-router(threshold=${t},weak=weak,strong=strong)`;
const THRESHOLDS = [0, 0.3, 0.6, 0.8, 1];

let dir: string;
let result: CompareResult;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fg-frontier-'));
  const file = join(dir, 'q.yaml');
  await writeFile(file, qualityScenarioText(20, 60, true));
  result = await compare({
    file,
    entries: parsePolicyList(THRESHOLDS.map(router).join(',')),
    seeds: [1, 2, 3],
    jobs: 1,
    objective: 'cost',
    baseOverrides: [],
  });
});

const entry = (t: number) => result.entries.find((e) => e.label === router(t))!;

describe('compare with quality', () => {
  it('reports acceptable share and cost per acceptable answer with intervals over seeds', () => {
    for (const t of THRESHOLDS) {
      const q = entry(t).quality!;
      expect(q.acceptableShare.n).toBe(3);
      expect(q.acceptableShare.ci95).toBeGreaterThanOrEqual(0);
      // Analytic share: 1 up to the weak model's capability, then 1.6 - t (within sampling error).
      expect(q.acceptableShare.mean).toBeCloseTo(t <= 0.6 ? 1 : 1.6 - t, 1);
      expect(q.costPerAcceptableUsd.mean).toBeGreaterThan(0);
      expect(entry(t).classes['chat']!.acceptableShare!.mean).toBe(q.acceptableShare.mean);
    }
    expect(entry(0).quality!.acceptableShare.mean).toBe(1);
    expect(entry(0.6).quality!.acceptableShare.mean).toBe(1);
  });

  it('names the frontier and who dominates whom', () => {
    const f = result.frontier!;
    expect(f.criteria).toEqual(['costUsd', 'acceptableShare', 'ttftP99']);
    const byLabel = Object.fromEntries(f.entries.map((e) => [e.label, e]));
    expect(THRESHOLDS.filter((t) => byLabel[router(t)]!.onFrontier)).toEqual([0.6, 0.8, 1]);
    expect(byLabel[router(0.3)]!.dominatedBy).toEqual([router(0.6)]);
    expect([...byLabel[router(0)]!.dominatedBy].sort()).toEqual([router(0.3), router(0.6)].sort());
    expect(f.costQuality).toEqual([router(1), router(0.8), router(0.6)]);
    // In rank order, and the same as the frontier computed from the means.
    expect(f.entries.map((e) => e.label)).toEqual(result.entries.map((e) => e.label));
    const points = result.entries.map((e) => [
      e.summary.costUsd.mean,
      -e.quality!.acceptableShare.mean,
      e.summary.ttftP99.mean,
    ]);
    expect(f.entries.map((e) => e.dominatedBy)).toEqual(
      dominatedBy(points).map((d) => d.map((j) => result.entries[j]!.label)),
    );
  });
});

describe('compare without quality', () => {
  it('adds no quality figures and no frontier', async () => {
    const file = join(dir, 'plain.yaml');
    await writeFile(file, qualityScenarioText(5, 20, false));
    const r = await compare({
      file,
      entries: parsePolicyList('round-robin,random'),
      seeds: [1, 2],
      jobs: 1,
      objective: 'goodput',
      baseOverrides: [],
    });
    expect('frontier' in r).toBe(false);
    for (const e of r.entries) {
      expect('quality' in e).toBe(false);
      expect(Object.keys(e.classes['chat']!)).toEqual(['ttftP50', 'ttftP99', 'goodputShare']);
      for (const s of e.seeds) expect('quality' in s).toBe(false);
    }
  });
});
