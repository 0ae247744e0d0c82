/**
 * capacity with quality SLOs (docs/concepts/quality.md): the threshold router on the quality
 * harness (test/compare/quality-fixture.ts) with a perfect estimator answers a share 1 of
 * requests acceptably for a threshold t <= 0.6 and 1.6 - t above, at a cost per request of
 * 0.001 t + 0.02 (1 - t) (for t <= 0.6). So the largest threshold keeping 85% acceptable is 0.75,
 * and the smallest keeping the cost per acceptable answer at or under $0.012 is 8/19 = 0.421.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { capacity, parseTargets } from '../../src/compare/capacity.ts';
import { qualityScenarioText } from './quality-fixture.ts';

let file: string;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-capacity-quality-'));
  file = join(dir, 'q.yaml');
  await writeFile(file, qualityScenarioText(50, 60));
});

const search = (target: string, maximize: boolean) =>
  capacity({
    file,
    path: 'gateway.routing.params.threshold',
    range: '0.0..1.0',
    maximize,
    seeds: [1, 2],
    jobs: 1,
    baseOverrides: [{ path: 'slos', value: parseTargets(target) }],
    relativeTolerance: 0.02,
  });

describe('capacity with a quality SLO', () => {
  it('reads a plain number as a number (a cost in USD)', () => {
    expect(parseTargets('costPerAcceptableUsd<=0.012,acceptableShare>=85%')).toEqual([
      { metric: 'costPerAcceptableUsd', max: 0.012 },
      { metric: 'acceptableShare', min: '85%' },
    ]);
  });

  it('finds the largest router threshold that keeps an acceptable share', async () => {
    const r = await search('acceptableShare>=85%', true);
    expect(r.value).toBeGreaterThan(0.72);
    expect(r.value).toBeLessThanOrEqual(0.75);
    // Every probe on the right side of the analytic boundary, away from it by the run's noise.
    for (const p of r.probes) if (Math.abs(p.value - 0.75) > 0.02) expect(p.pass).toBe(p.value < 0.75);
  });

  it('finds the smallest router threshold that keeps the cost per acceptable answer under a bar', async () => {
    const r = await search('costPerAcceptableUsd<=0.012', false);
    expect(r.value).toBeGreaterThanOrEqual(8 / 19 - 0.005);
    expect(r.value).toBeLessThan(8 / 19 + 0.03);
  });
});
