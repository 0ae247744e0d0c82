/**
 * sweep over a router's threshold on a scenario with quality and no recovery block: the
 * cost-quality curve. On the quality harness (test/compare/quality-fixture.ts: difficulty uniform
 * on [0, 1], a perfect estimator, weak capability 0.6 at $0.001 a request, strong 1 at $0.02) a
 * threshold t answers a share min(1, 1.6 - t) acceptably at a cost per request of
 * 0.001 t + 0.02 (1 - t).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatSweep } from '../../src/cli/commands/sweep.ts';
import { type SweepResult, sweep } from '../../src/compare/sweep.ts';
import { FloodgateError } from '../../src/errors.ts';
import { qualityScenarioText } from './quality-fixture.ts';

const RATE = 20;
const SECONDS = 60;
const VALUES = ['0', '0.3', '0.6', '0.8', '1'];
let dir: string;
let result: SweepResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fg-sweep-quality-'));
  const file = join(dir, 'q.yaml');
  await writeFile(file, qualityScenarioText(RATE, SECONDS));
  result = await sweep({
    file,
    path: 'gateway.routing.params.threshold',
    values: VALUES,
    seeds: [1, 2],
    jobs: 1,
    baseOverrides: [],
  });
});

describe('sweep with quality and no recovery block', () => {
  it('draws the cost-quality curve: acceptable share and cost per acceptable answer per value', () => {
    expect(result.recovery).toBe(false);
    for (const p of result.points) {
      const t = Number(p.text);
      const q = p.quality!;
      expect(q.acceptableShare.n).toBe(2);
      expect(q.acceptableShare.mean).toBeCloseTo(Math.min(1, 1.6 - t), 1);
      // Cost per request at threshold t, times about RATE x SECONDS requests (Poisson: within 10%).
      const perRequest = 0.001 * t + 0.02 * (1 - t);
      expect(q.costUsd.mean / (RATE * SECONDS * perRequest)).toBeGreaterThan(0.9);
      expect(q.costUsd.mean / (RATE * SECONDS * perRequest)).toBeLessThan(1.1);
      expect(q.costPerAcceptableUsd.mean).toBeCloseTo(perRequest / Math.min(1, 1.6 - t), 3);
      // No verdicts without a recovery block: every seed inconclusive.
      expect(p.region).toBe('inconclusive');
      expect(p.regions.inconclusive).toBe(2);
      expect(p.verdicts).toEqual({});
    }
    // Cheaper and worse as the threshold rises past the weak model's capability.
    const costs = result.points.map((p) => p.quality!.costUsd.mean);
    expect([...costs].sort((a, b) => b - a)).toEqual(costs);
  });

  it('prints the curve as a table', () => {
    const text = formatSweep(result);
    expect(text).toContain('(no recovery block: the cost-quality curve)');
    expect(text).toMatch(
      /gateway\.routing\.params\.threshold\s+acceptable\s+cost \$\s+\$\/acceptable\s+goodput/,
    );
    expect(text).not.toContain('Regions:');
  });

  it('still refuses a scenario with neither a recovery block nor a quality section', async () => {
    const file = join(dir, 'plain.yaml');
    await writeFile(file, qualityScenarioText(5, 10, false));
    const run = sweep({
      file,
      path: 'gateway.routing.params.threshold',
      values: ['0'],
      seeds: [1],
      jobs: 1,
      baseOverrides: [],
    });
    await expect(run).rejects.toThrow(FloodgateError);
    await expect(run).rejects.toThrow(/or a quality section to draw the cost-quality curve/);
  });
});
