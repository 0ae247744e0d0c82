/**
 * Progress of long studies: every line has an estimate of the time left, and `merge --status`
 * sums up the shards' progress files.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardStatus } from '../../src/cli/commands/shard-flags.ts';
import { batchProgressLine } from '../../src/cli/progress.ts';

describe('progress', () => {
  it('estimates the time left from the runs done so far', () => {
    expect(batchProgressLine('compare shard 2/4', 10, 40, 30_000)).toBe(
      'compare shard 2/4: 10/40 runs (25%), 30.00 s, about 90.00 s left',
    );
    expect(batchProgressLine('sweep', 40, 40, 120_000)).toBe('sweep: 40/40 runs (100%), 2.0 min');
    expect(batchProgressLine('sweep', 0, 40, 10)).toBe('sweep: 0/40 runs (0%), 10.0 ms');
  });

  it('sums up the shards that report, and names the ones that do not yet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-status-'));
    const report = (index: number, done: number, total: number, elapsedMs: number) =>
      writeFile(
        join(dir, `progress-${index}-of-3.json`),
        JSON.stringify({
          schema: 'floodgate/shard-progress@1',
          shard: { index, count: 3 },
          done,
          total,
          elapsedMs,
        }),
      );
    expect(shardStatus(dir)).toMatch(/no shard has reported progress yet/);
    await report(1, 5, 10, 50_000);
    await report(2, 10, 10, 90_000);
    await writeFile(join(dir, 'progress-3-of-3.json'), '{"half a file');
    expect(shardStatus(dir).split('\n')).toEqual([
      'shard 1/3: 5/10 runs (50%), 50.00 s, about 50.00 s left',
      'shard 2/3: 10/10 runs (100%), 90.00 s',
      '2 of 3 shards reporting, 15/20 runs of those: the slowest about 50.00 s left; 1 not reporting yet',
    ]);
    await report(1, 10, 10, 100_000);
    await report(3, 10, 10, 80_000);
    expect(shardStatus(dir)).toMatch(
      /3 of 3 shards reporting, 30\/30 runs of those: every shard is done: merge the parts$/,
    );
  });
});

describe('capacity progress', () => {
  it('bounds the runs a search may still need', async () => {
    const { maxProbes } = await import('../../src/compare/capacity.ts');
    const bisect = (range: string) =>
      ({
        search: { kind: 'bisect', path: 'x', range, maximize: false, relativeTolerance: 0.02 },
      }) as Parameters<typeof maxProbes>[0];
    // 1..40: the two ends, then at most ceil(log2(39)) = 6 halvings.
    expect(maxProbes(bisect('1..40'))).toBe(8);
    // 10/s..200/s to 2%: the bracket halves from 190 down to 0.2 at most: 10 halvings.
    expect(maxProbes(bisect('10/s..200/s'))).toBe(12);
    expect(maxProbes(bisect('0/s..200/s'))).toBe(66);
  });
});
