import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { capacity, parseRange, parseTargets } from '../../src/compare/capacity.ts';
import { FloodgateError } from '../../src/errors.ts';

const SCENARIO = `name: servers
duration: 10m
providers:
  - { name: q, kind: queue, servers: 4, service: 1s }
workload:
  arrivals: { rate: 5/s }
  classes: [{ name: job }]
slos:
  - { metric: e2e.p99, max: 2s }
`;

let file: string;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-capacity-'));
  file = join(dir, 's.yaml');
  await writeFile(file, SCENARIO);
});

describe('parseRange and parseTargets', () => {
  it('reads integer and unit ranges', () => {
    expect(parseRange('2..32')).toEqual({ lo: 2, hi: 32, unit: '', integer: true });
    expect(parseRange('10/s..200/s')).toEqual({ lo: 10, hi: 200, unit: '/s', integer: false });
    expect(() => parseRange('32..2')).toThrow(FloodgateError);
    expect(() => parseRange('lots')).toThrow(/expected LO\.\.HI/);
  });

  it('reads SLO targets with optional classes', () => {
    expect(parseTargets('tab:ttft.p99<=500ms, goodputShare>=95%')).toEqual([
      { class: 'tab', metric: 'ttft.p99', max: '500ms' },
      { metric: 'goodputShare', min: '95%' },
    ]);
    expect(() => parseTargets('ttft.p99 < 5')).toThrow(/expected \[class:\]metric<=value/);
  });
});

describe('capacity', () => {
  it('finds by bisection the same fewest servers a full scan finds (p99 E2E under 2 s at 5/s)', async () => {
    const r = await capacity({
      file,
      path: 'providers[0].servers',
      range: '1..16',
      maximize: false,
      seeds: [1, 2],
      jobs: 1,
      baseOverrides: [],
      relativeTolerance: 0.02,
    });
    // Scan every value: the answer is the first that passes, and the one below it fails.
    const scan = await capacity({
      file,
      path: 'providers[0].servers',
      range: `${r.value! - 1}..${r.value!}`,
      maximize: false,
      seeds: [1, 2],
      jobs: 1,
      baseOverrides: [],
      relativeTolerance: 0.02,
    });
    expect(scan.value).toBe(r.value);
    expect(scan.probes.map((p) => p.pass)).toEqual([true, false]);
    // 5 servers at 5/s are saturated, so the answer is above it; bisection used few probes.
    expect(r.value!).toBeGreaterThan(5);
    expect(r.probes.length).toBeLessThanOrEqual(6);
  });

  it('finds the largest arrival rate that 4 servers carry, keeping the unit', async () => {
    const r = await capacity({
      file,
      path: 'workload.arrivals.rate',
      range: '1/s..8/s',
      maximize: true,
      seeds: [1],
      jobs: 1,
      baseOverrides: [],
      relativeTolerance: 0.05,
    });
    expect(r.text).toMatch(/\/s$/);
    expect(r.value!).toBeGreaterThan(2);
    expect(r.value!).toBeLessThan(4);
  });

  it('reports no answer when even the best end of the range misses', async () => {
    const r = await capacity({
      file,
      path: 'providers[0].servers',
      range: '1..3',
      maximize: false,
      seeds: [1],
      jobs: 1,
      baseOverrides: [],
      relativeTolerance: 0.02,
    });
    expect(r.value).toBeNull();
    expect(r.probes).toHaveLength(1);
  });
});
