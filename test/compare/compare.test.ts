import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compare } from '../../src/compare/compare.ts';
import { parsePolicyList } from '../../src/compare/policy-spec.ts';
import { FloodgateError } from '../../src/errors.ts';

const SCENARIO = `name: two-queues
duration: 5m
providers:
  - { name: fast, kind: queue, servers: 4, service: { dist: exponential, mean: 400ms } }
  - { name: slow, kind: queue, servers: 4, service: { dist: exponential, mean: 1s } }
workload:
  arrivals: { rate: 6/s }
  classes:
    - { name: job, slo: { e2e: 2s } }
slos:
  - { metric: goodputShare, min: 50% }
`;

let file: string;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-compare-'));
  file = join(dir, 's.yaml');
  await writeFile(file, SCENARIO);
});

describe('compare', () => {
  it('runs every entry on the same seeds and ranks the better policy first, significantly', async () => {
    const r = await compare({
      file,
      entries: parsePolicyList('round-robin,least-outstanding'),
      seeds: [1, 2, 3, 4, 5],
      jobs: 1,
      objective: 'goodput',
      baseOverrides: [],
    });
    expect(r.entries.map((e) => e.label)).toEqual(['least-outstanding', 'round-robin']);
    const [best, other] = r.entries as [(typeof r.entries)[0], (typeof r.entries)[0]];
    expect(best.rank).toBe(1);
    expect(best.vsLeader).toBeUndefined();
    expect(other.vsLeader!.mean).toBeLessThan(0);
    expect(other.vsLeader!.significant).toBe(true);
    // Common random numbers: the seeds line up entry by entry.
    expect(best.seeds.map((s) => s.seed)).toEqual([1, 2, 3, 4, 5]);
    expect(other.seeds.map((s) => s.seed)).toEqual([1, 2, 3, 4, 5]);
    expect(best.summary.goodputShare.n).toBe(5);
    expect(best.slosTotal).toBe(1);
  });

  it('sets routing and admission together from one entry, with parameters', async () => {
    const r = await compare({
      file,
      entries: parsePolicyList('least-outstanding+concurrency-limit(limit=2, queue=false)'),
      seeds: [1],
      jobs: 1,
      objective: 'goodput',
      baseOverrides: [],
    });
    expect(r.entries[0]!.overrides).toEqual([
      { path: 'gateway.routing', value: { policy: 'least-outstanding', params: {} } },
      {
        path: 'gateway.admission',
        value: { policy: 'concurrency-limit', params: { limit: 2, queue: false } },
      },
    ]);
    expect(r.entries[0]!.summary.shedShare.mean).toBeGreaterThan(0.3);
  });

  it('names an unknown policy with a suggestion', async () => {
    const err = await compare({
      file,
      entries: parsePolicyList('round-robn'),
      seeds: [1],
      jobs: 1,
      objective: 'goodput',
      baseOverrides: [],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FloodgateError);
    expect((err as FloodgateError).code).toBe('FG_UNKNOWN_POLICY');
    expect((err as Error).message).toMatch(/got 'round-robn' \(did you mean 'round-robin'\?\)/);
  });
});
