/**
 * The pieces of sharding: which shard a process is, which runs it takes, exact numbers through
 * part files, and adaptive searches in waves that replay to the unsharded probe sequence.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BisectSearch, capacityStudy, nextProbe, runCapacityStudy } from '../../src/compare/capacity.ts';
import { parseParam } from '../../src/compare/plan.ts';
import { replay, speculate } from '../../src/compare/waves.ts';
import { FloodgateError } from '../../src/errors.ts';
import { mergeInputs } from '../../src/shard/merge.ts';
import { decodeJson, encodeJson, makePart, type StudyBase } from '../../src/shard/part.ts';
import { runCapacityShard, type WaveState } from '../../src/shard/run.ts';
import { inShard, parseShard, shardOf } from '../../src/shard/shard.ts';

describe('shards', () => {
  it('reads K/N and the Indexed Job environment', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('0/4')).toThrow(/1 <= K <= N/);
    expect(() => parseShard('5/4')).toThrow(FloodgateError);
    expect(() => parseShard('two')).toThrow(/expected K\/N/);
    expect(shardOf('1/2', undefined, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 1, count: 2 });
    expect(shardOf(undefined, 8, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 4, count: 8 });
    expect(shardOf(undefined, undefined, { JOB_COMPLETION_INDEX: '0', FLOODGATE_SHARDS: '2' })).toEqual({
      index: 1,
      count: 2,
    });
    // An index alone (an unrelated Indexed Job) shards nothing; a count without an index is a mistake.
    expect(shardOf(undefined, undefined, { JOB_COMPLETION_INDEX: '0' })).toBeUndefined();
    expect(() => shardOf(undefined, 4, {})).toThrow(/needs JOB_COMPLETION_INDEX/);
    expect(() => shardOf(undefined, 4, { JOB_COMPLETION_INDEX: '4' })).toThrow(
      /expected a whole number 0\.\.3/,
    );
  });

  it('gives every run to exactly one shard', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 100 }), (n, runs) => {
        for (let i = 0; i < runs; i++)
          expect(
            Array.from({ length: n }, (_, k) => inShard(i, { index: k + 1, count: n })).filter(Boolean),
          ).toHaveLength(1);
      }),
    );
  });

  it('keeps NaN, infinities, -0 and every double through a part file', () => {
    fc.assert(
      fc.property(fc.array(fc.double()), (xs) => {
        const back = decodeJson(encodeJson({ xs })) as { xs: number[] };
        expect(back.xs).toEqual(xs);
        expect(back.xs.map((x) => Object.is(x, -0))).toEqual(xs.map((x) => Object.is(x, -0)));
      }),
    );
  });
});

describe('hostile parts', () => {
  it('a part with its hash right but content of the wrong shape is bad input, not a bug', () => {
    const study = { command: 'compare', scenario: 's.yaml', scenarioSha256: 'x', seeds: [1], entries: 5 };
    const part = makePart(study as unknown as StudyBase, { index: 1, count: 1 }, 1, [
      { run: 0, figures: { seed: 1 } as never },
    ]);
    expect(() => mergeInputs([{ file: 'evil.json', json: decodeJson(encodeJson(part)) }])).toThrow(
      /evil\.json: parts whose content is not what compare, sweep or capacity --shard writes/,
    );
    const k6 = {
      schema: 'floodgate/k6-summary@1',
      parallelism: 1,
      classes: { a: 1 },
      overall: 2,
      thresholds: [],
    };
    expect(() => mergeInputs([{ file: 'k6.json', json: k6 }])).toThrow(FloodgateError);
  });
});

describe('searches in waves', () => {
  it('a bisection replays to the probes an unsharded search makes, whatever the outcomes', () => {
    const search: BisectSearch = {
      kind: 'bisect',
      path: 'x',
      range: '1..100',
      maximize: false,
      relativeTolerance: 0.02,
    };
    const study = { search } as Parameters<typeof nextProbe>[0];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 101 }), fc.integer({ min: 1, max: 8 }), (threshold, budget) => {
        const next = nextProbe(study);
        const truth = (key: string) => Number(key) >= threshold;
        // Sequential.
        const seq: string[] = [];
        const known = new Map<string, boolean>();
        for (let c = next(known); c; c = next(known)) {
          seq.push(c.key);
          known.set(c.key, truth(c.key));
        }
        // In waves of `budget` speculative probes.
        const waved = new Map<string, boolean>();
        let waves = 0;
        while (!replay(next, waved).done) {
          const wave = speculate(next, waved, budget);
          expect(wave.length).toBeGreaterThan(0);
          for (const c of wave) waved.set(c.key, truth(c.key));
          waves++;
        }
        expect(replay(next, waved).asked.map((c) => c.key)).toEqual(seq);
        if (budget >= 3 && seq.length > 2) expect(waves).toBeLessThan(seq.length);
      }),
    );
  });

  it('a two-parameter plan run in waves of three shards equals the unsharded plan', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-plan-waves-'));
    const file = join(dir, 'q.yaml');
    await writeFile(
      file,
      `name: q
duration: 5m
providers:
  - { name: q, kind: queue, servers: 4, service: 1s }
workload:
  arrivals: { rate: 5/s }
  classes: [{ name: job }]
slos:
  - { metric: e2e.p99, max: 2s }
`,
    );
    const study = capacityStudy({
      file,
      seeds: [1],
      baseOverrides: [],
      search: {
        kind: 'plan',
        params: [parseParam('providers[0].servers=2..12'), parseParam('workload.arrivals.rate=3/s,5/s')],
      },
    });
    const whole = await runCapacityStudy(study, 1);
    let state: WaveState | undefined;
    for (let wave = 1; wave < 20; wave++) {
      const parts = [];
      for (const index of [1, 2, 3]) {
        const part = await runCapacityShard(study, { index, count: 3 }, 1, state ? { state } : {});
        parts.push({ file: `part-${index}.json`, json: decodeJson(encodeJson(part)) });
      }
      const merged = mergeInputs(parts);
      if (merged.kind === 'capacity') {
        expect(JSON.stringify(merged.result)).toBe(JSON.stringify(whole));
        return;
      }
      expect(merged.kind).toBe('wave');
      if (merged.kind === 'wave') state = decodeJson(encodeJson(merged.state)) as WaveState;
    }
    throw new Error('the search did not finish in 20 waves');
  });
});
