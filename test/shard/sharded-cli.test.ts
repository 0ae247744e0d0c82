/**
 * Sharded studies as users run them: four `floodgate ... --shard K/4` processes at once, then
 * `floodgate merge`, give exactly the bytes of the unsharded run, for compare, sweep and a
 * capacity search (in waves). Parts of different studies are refused with a clear error.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../cli/process.ts';

const QUEUE = `name: servers
duration: 10m
providers:
  - { name: q, kind: queue, servers: 4, service: 1s }
workload:
  arrivals: { rate: 5/s }
  classes: [{ name: job }]
gateway: { routing: round-robin }
slos:
  - { metric: e2e.p99, max: 2s }
`;

let dir: string;
let queue: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fg-shard-'));
  queue = join(dir, 'queue.yaml');
  await writeFile(queue, QUEUE);
});

/** Runs the four shards as four processes at once; every one must succeed. */
async function shards(args: readonly string[], out: string): Promise<void> {
  const runs = await Promise.all(
    [1, 2, 3, 4].map((k) => runCli([...args, '--shard', `${k}/4`, '--out', `${out}/`, '--jobs', '1'])),
  );
  for (const r of runs) expect(r.stderr).toBe('');
  for (const r of runs) expect(r.code).toBe(0);
}

describe('a study split over four processes and merged equals the unsharded run, byte for byte', () => {
  it('compare (2 policies x 3 seeds: 6 runs over 4 shards, uneven)', async () => {
    const args = ['compare', queue, '--policies', 'round-robin,random', '--seeds', '3', '--quiet'];
    const whole = join(dir, 'compare.json');
    expect((await runCli([...args, '--out', whole, '--jobs', '1'])).code).toBe(0);
    const parts = join(dir, 'compare-parts');
    await shards(args, parts);
    expect((await readdir(parts)).filter((f) => f.startsWith('part-')).sort()).toEqual(
      [1, 2, 3, 4].map((k) => `part-${k}-of-4.json`),
    );
    // Each shard left its progress beside its part; merge --status sums them up.
    expect((await readdir(parts)).filter((f) => f.startsWith('progress-')).sort()).toEqual(
      [1, 2, 3, 4].map((k) => `progress-${k}-of-4.json`),
    );
    const status = await runCli(['merge', '--status', parts]);
    expect(status.stdout).toMatch(/^shard 1\/4: 2\/2 runs \(100%\)/);
    expect(status.stdout).toMatch(
      /4 of 4 shards reporting, 6\/6 runs of those: every shard is done: merge the parts\n$/,
    );
    const merged = join(dir, 'compare-merged.json');
    const report = join(dir, 'compare-merged.html');
    const m = await runCli(['merge', parts, '--out', merged, '--report', report]);
    expect(m.code).toBe(0);
    expect(await readFile(report, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(m.stdout).toMatch(/ranked by goodput/);
    expect(m.stdout).toMatch(/^result written to /m);
    expect(await readFile(merged, 'utf8')).toBe(await readFile(whole, 'utf8'));
  });

  it('sweep (2 values x 2 seeds of the retry storm)', async () => {
    const args = [
      'sweep',
      join(ROOT, 'scenarios/retry-storm.yaml'),
      '--vary',
      'workload.arrivals.rate',
      '--values',
      '20/s,30/s',
      '--seeds',
      '2',
      '--set',
      'duration=5m',
      '--quiet',
    ];
    const whole = join(dir, 'sweep.json');
    expect((await runCli([...args, '--out', whole, '--jobs', '1'])).code).toBe(0);
    const parts = join(dir, 'sweep-parts');
    await shards(args, parts);
    const merged = join(dir, 'sweep-merged.json');
    const files = [1, 2, 3, 4].map((k) => join(parts, `part-${k}-of-4.json`));
    const report = join(dir, 'sweep-merged.html');
    expect((await runCli(['merge', ...files, '--out', merged, '--report', report])).code).toBe(0);
    expect(await readFile(merged, 'utf8')).toBe(await readFile(whole, 'utf8'));
    // The sweep's own report, with the shards' --set shown.
    const html = await readFile(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('workload.arrivals.rate: 20/s, 30/s');
    expect(html).toContain('duration=');
  });

  it('capacity (bisection in waves: each merge feeds the next wave until the answer)', async () => {
    const args = [
      'capacity',
      queue,
      '--vary',
      'providers[0].servers',
      '--range',
      '1..40',
      '--seeds',
      '2',
      '--quiet',
    ];
    const whole = join(dir, 'capacity.json');
    const w = await runCli([...args, '--out', whole, '--jobs', '1']);
    expect(w.code).toBe(0);
    const parts = join(dir, 'capacity-parts');
    const merged = join(dir, 'capacity-merged.json');
    let state: string[] = [];
    let waves = 0;
    let refused = 0;
    for (; waves < 10; waves++) {
      await shards([...args, ...state], parts);
      const names = (await readdir(parts)).filter((f) => f.startsWith(`part-w${waves + 1}-`));
      expect(names).toHaveLength(4);
      const out = join(dir, `capacity-wave-${waves + 1}.json`);
      const report = join(dir, `capacity-wave-${waves + 1}.html`);
      let m = await runCli(['merge', ...names.map((f) => join(parts, f)), '--out', out, '--report', report]);
      if (m.code === 2) {
        // A wave that does not finish the search has no report: refused, and nothing written.
        expect(m.stderr).toMatch(/the search needs another: pass --report to the merge that finishes it/);
        refused++;
        expect(existsSync(out) || existsSync(report)).toBe(false);
        m = await runCli(['merge', ...names.map((f) => join(parts, f)), '--out', out]);
        expect(m.code).toBe(0);
      } else expect(m.code).toBe(0);
      if (/^result written to /m.test(m.stdout)) {
        const html = await readFile(report, 'utf8');
        expect(html).toMatch(/^<!doctype html>/i);
        expect(html).toContain('providers[0].servers in 1..40');
        await writeFile(merged, await readFile(out));
        break;
      }
      expect(m.stdout).toMatch(/the search needs another wave/);
      state = ['--wave-in', out];
    }
    // Fewer waves than the unsharded search's probes: each wave ran several possible next probes.
    const result = JSON.parse(await readFile(whole, 'utf8'));
    expect(waves + 1).toBeLessThan(result.probes.length);
    // Every wave but the last asked for --report too early.
    expect(waves).toBeGreaterThan(0);
    expect(refused).toBe(waves);
    expect(await readFile(merged, 'utf8')).toBe(await readFile(whole, 'utf8'));
  });
});

describe('merge refuses what does not belong together', () => {
  it('parts of different studies, a missing shard, a shard twice, an edited part', async () => {
    const base = ['compare', queue, '--policies', 'round-robin', '--quiet', '--jobs', '1'];
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    for (const k of [1, 2]) {
      expect((await runCli([...base, '--seeds', '2', '--shard', `${k}/2`, '--out', `${a}/`])).code).toBe(0);
      expect((await runCli([...base, '--seeds', '3', '--shard', `${k}/2`, '--out', `${b}/`])).code).toBe(0);
    }
    const mixed = await runCli(['merge', join(a, 'part-1-of-2.json'), join(b, 'part-2-of-2.json')]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(
      /part-2-of-2\.json: a part of a different study than .*part-1-of-2\.json \(differs in seeds\): every shard must run the same scenario file/,
    );
    expect(mixed.stderr.trim().split('\n')).toHaveLength(1);

    const missing = await runCli(['merge', join(a, 'part-2-of-2.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing shard 1 of 2/);

    const twice = await runCli(['merge', join(a, 'part-1-of-2.json'), join(a, 'part-1-of-2.json')]);
    expect(twice.stderr).toMatch(/shard 1\/2 again/);

    const edited = join(dir, 'edited.json');
    const text = await readFile(join(a, 'part-2-of-2.json'), 'utf8');
    await writeFile(edited, text.replace('"seeds": [\n      1,', '"seeds": [\n      7,'));
    const e = await runCli(['merge', join(a, 'part-1-of-2.json'), edited]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/does not match its hash/);

    // A scenario changed between shards: the same flags, another file content.
    const changed = join(dir, 'changed');
    await writeFile(queue, QUEUE.replace('servers: 4', 'servers: 5'));
    try {
      expect((await runCli([...base, '--seeds', '2', '--shard', '2/2', '--out', `${changed}/`])).code).toBe(
        0,
      );
    } finally {
      await writeFile(queue, QUEUE);
    }
    const c = await runCli(['merge', join(a, 'part-1-of-2.json'), join(changed, 'part-2-of-2.json')]);
    expect(c.stderr).toMatch(/differs in the scenario file content/);
  });

  it('a shard needs --out, and a bad --shard is a usage error', async () => {
    const r = await runCli(['compare', queue, '--policies', 'round-robin', '--shard', '1/2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard 1\/2: needs --out/);
    const bad = await runCli(['compare', queue, '--policies', 'round-robin', '--shard', '5/4', '--out', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shard: expected K\/N with 1 <= K <= N/);
  });
});
