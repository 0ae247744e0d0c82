/**
 * The CLI as users and CI pipelines meet it: spawned as a process (bin/floodgate.js, built by
 * `npm run build`, which `npm test` runs first), asserting exit codes, stdout and stderr text.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MMC_YAML } from '../scenario/fixtures.ts';
import { runCli } from './process.ts';

const floodgate = (...args: string[]) => runCli(args);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floodgate-cli-'));
  await writeFile(join(dir, 'mmc.yaml'), MMC_YAML);
});

describe('floodgate --help', () => {
  it.each([[], ['run'], ['validate'], ['schema'], ['compare'], ['capacity'], ['sweep'], ['calibrate']])(
    'prints usage for %j with exit 0',
    async (...cmd) => {
      const r = await floodgate(...cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: floodgate/);
    },
  );
});

describe('floodgate run', () => {
  it('runs the M/M/c contract scenario and writes the contract fields', async () => {
    const out = join(dir, 'r.json');
    const r = await floodgate('run', join(dir, 'mmc.yaml'), '--set', 'duration=1h', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mmc {2}seed 7/);
    const result = JSON.parse(await readFile(out, 'utf8'));
    expect(result.requests.offered).toBeGreaterThan(25_000);
    expect(result.requests.completed).toBe(result.requests.offered);
    for (const v of [
      result.providers.server.queueWait.mean,
      result.providers.server.queueWait.p99,
      result.latency.e2e.p50,
      result.latency.e2e.p99,
    ]) {
      expect(typeof v).toBe('number');
    }
    // Times are milliseconds: an M/M/8 at 90% waits about 0.88 s on average.
    expect(result.providers.server.queueWait.mean).toBeGreaterThan(400);
    expect(result.providers.server.queueWait.mean).toBeLessThan(2000);
  });

  it('applies --set overrides parsed as YAML', async () => {
    const out = join(dir, 'md1.json');
    const r = await floodgate(
      'run',
      join(dir, 'mmc.yaml'),
      '--quiet',
      '--out',
      out,
      '--set',
      'duration=30m',
      '--set',
      'providers[0].servers=4',
      '--set',
      'workload.arrivals.rate=3/s',
      '--set',
      'providers[0].service={dist: deterministic, value: 1s}',
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(await readFile(out, 'utf8'));
    expect(result.durationMs).toBe(1_800_000);
    expect(result.providers.server.serviceTime.min).toBeCloseTo(1000, 6);
    expect(result.providers.server.serviceTime.max).toBeCloseTo(1000, 6);
    expect(result.requests.offered).toBeGreaterThan(4800);
    expect(result.requests.offered).toBeLessThan(6000);
  });

  it('prints the result JSON with --json', async () => {
    const r = await floodgate('run', join(dir, 'mmc.yaml'), '--json', '--set', 'duration=10m');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).schema).toBe('floodgate/run-result@1');
  });

  it('exits 3 when an SLO fails and says which', async () => {
    const r = await floodgate(
      'run',
      join(dir, 'mmc.yaml'),
      '--set',
      'duration=10m',
      '--set',
      'slos=[{metric: e2e.p99, max: 100ms}]',
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/SLOs: 0\/1 pass\n {2}FAIL {2}e2e\.p99 <= 100ms {2}\(observed \d/);
  });

  it('exits 1 with one clear error for a bad scenario and writes nothing', async () => {
    const out = join(dir, 'never.json');
    const r = await floodgate(
      'run',
      join(dir, 'mmc.yaml'),
      '--set',
      'providers[0].servers=zero',
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${join(dir, 'mmc.yaml')} (--set providers[0].servers): providers[0].servers: expected a count like 128, '8k', '2M' or '1.5k', got 'zero'\n`,
    );
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 1 for a missing file', async () => {
    const r = await floodgate('run', join(dir, 'nope.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error[FG_SCENARIO_UNREADABLE]: ${join(dir, 'nope.yaml')}: cannot read the scenario: ENOENT\n`,
    );
  });

  it('exits 2 for usage errors', async () => {
    expect((await floodgate('run')).code).toBe(2);
    expect((await floodgate('frobnicate')).code).toBe(2);
    const badSeed = await floodgate('run', join(dir, 'mmc.yaml'), '--seed', 'abc');
    expect(badSeed.code).toBe(2);
    const badSet = await floodgate('run', join(dir, 'mmc.yaml'), '--set', 'novalue');
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toBe(
      'error[FG_OVERRIDE_INVALID]: --set novalue: expected PATH=VALUE, e.g. --set workload.arrivals.rate=9/s\n',
    );
  });

  it('runs a user policy module referenced by path', async () => {
    await writeFile(
      join(dir, 'first-target.ts'),
      `import { definePolicy, reject, z } from 'floodgate';
export default definePolicy({
  name: 'first-target',
  kind: 'routing',
  params: z.strictObject({ index: z.number().int().min(0).default(0) }),
  create: (params) => ({ route: (_req, targets) => targets[params.index] ?? reject('no-target') }),
});
`,
    );
    const out = join(dir, 'user.json');
    const r = await floodgate(
      'run',
      join(dir, 'mmc.yaml'),
      '--quiet',
      '--out',
      out,
      '--set',
      'duration=10m',
      '--set',
      'gateway.routing={policy: ./first-target.ts, params: {index: 0}}',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8')).requests.completed).toBeGreaterThan(3000);
    const bad = await floodgate(
      'validate',
      join(dir, 'mmc.yaml'),
      '--set',
      'gateway.routing={policy: ./first-target.ts, params: {index: -1}}',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /gateway\.routing\.params\.index: Too small: expected number to be >=0, got -1/,
    );
  });
});

describe('scenarios written in TypeScript', () => {
  it('runs a .ts scenario through the same schema and overrides', async () => {
    await writeFile(
      join(dir, 'typed.ts'),
      `import { defineScenario } from 'floodgate';
export default defineScenario({
  name: 'typed',
  duration: '10m',
  providers: [{ name: 'server', kind: 'queue', servers: 2, service: { dist: 'exponential', mean: '1s' } }],
  workload: { classes: [{ name: 'job' }], arrivals: { rate: '1/s' } },
});
`,
    );
    const ok = await floodgate('run', join(dir, 'typed.ts'), '--set', 'duration=5m', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).durationMs).toBe(300_000);
    const bad = await floodgate('validate', join(dir, 'typed.ts'), '--set', 'providers[0].servers=0');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `error[FG_SCENARIO_INVALID]: ${join(dir, 'typed.ts')} (--set providers[0].servers): providers[0].servers: expected a count >= 1, got 0\n`,
    );
  });
});

describe('floodgate compare', () => {
  it('ranks policies over seeds on worker threads and writes every per-seed figure', async () => {
    const out = join(dir, 'cmp.json');
    const r = await floodgate(
      'compare',
      join(dir, 'mmc.yaml'),
      '--policies',
      'round-robin,random',
      '--seeds',
      '3',
      '--jobs',
      '2',
      '--quiet',
      '--set',
      'duration=5m',
      '--set',
      'providers[0].servers=9',
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: 2 policies x 3 seeds \(seeds 1\.\.3\), ranked by goodput/);
    const result = JSON.parse(await readFile(out, 'utf8'));
    expect(result.schema).toBe('floodgate/compare-result@1');
    expect(result.entries).toHaveLength(2);
    expect(result.entries[0].seeds.map((s: { seed: number }) => s.seed)).toEqual([1, 2, 3]);
  });

  it('exits 1 naming an unknown policy', async () => {
    const r = await floodgate(
      'compare',
      join(dir, 'mmc.yaml'),
      '--policies',
      'least-outstandng',
      '--seeds',
      '1',
      '--quiet',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error\[FG_UNKNOWN_POLICY\]: --policies: 'least-outstandng': .*\(did you mean 'least-outstanding'\?\)/,
    );
  });
});

describe('floodgate sweep', () => {
  it('maps the regions of the retry storm over base load, table and JSON', async () => {
    const out = join(dir, 'sweep.json');
    const r = await floodgate(
      'sweep',
      'scenarios/retry-storm.yaml',
      '--vary',
      'workload.arrivals.rate',
      '--values',
      '9/s,21/s',
      '--seeds',
      '1',
      '--jobs',
      '1',
      '--quiet',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^9\/s +stable +stable 1/m);
    expect(r.stdout).toMatch(/^21\/s +vulnerable +metastable 1/m);
    expect(r.stdout).toContain('Regions: stable at 9/s, vulnerable at 21/s.');
    const json = JSON.parse(await readFile(out, 'utf8'));
    expect(json.schema).toBe('floodgate/sweep-result@1');
    expect(json.points.map((p: { region: string }) => p.region)).toEqual(['stable', 'vulnerable']);
  });

  it('refuses a scenario without a recovery block (exit 1) and bad value lists (usage, exit 2)', async () => {
    const none = await floodgate(
      'sweep',
      join(dir, 'mmc.yaml'),
      '--vary',
      'duration',
      '--values',
      '1h',
      '--jobs',
      '1',
    );
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/sweep needs a recovery block/);
    const both = await floodgate('sweep', join(dir, 'mmc.yaml'), '--vary', 'duration');
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(
      'error[FG_OVERRIDE_INVALID]: sweep: expected exactly one of --values or --range\n',
    );
  });
});

describe('floodgate calibrate', () => {
  it("reports every row's error and the median and worst per phase, over every row", async () => {
    const r = await floodgate('calibrate', '--model', 'llama2-70b', '--hardware', 'h100-80gb');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^llama-2-70b\/h100-80gb\/tp2: t = /);
    // 105 rows x 2 phases x 3 TPs, each with its CSV line.
    expect(r.stdout.split('\n').filter((l) => /^\s+\d+ (prefill|decode) /.test(l))).toHaveLength(630);
    const pooled =
      /prefill, every row of every group \(310\): fitted median ([\d.]+)%, worst [+-]?([\d.]+)%/.exec(
        r.stdout,
      )!;
    expect(Number(pooled[1])).toBeLessThanOrEqual(3);
    expect(Number(pooled[2])).toBeLessThanOrEqual(28);
    expect(r.stdout).toMatch(
      /left out: line 67: its prefill time 362\.6 ms is below what the hardware allows/,
    );
  });

  it('fits on one hardware and reports the error on another (--fit-on, --check-on)', async () => {
    const r = await floodgate(
      'calibrate',
      '--model',
      'llama2-70b',
      '--fit-on',
      'a100-80gb',
      '--check-on',
      'h100-80gb',
      '--no-rows',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^llama-2-70b\/h100-80gb\/tp2 \(fitted on a100-80gb, carried over by the roofline\): t = /,
    );
    expect(r.stdout).not.toMatch(/^\s+\d+ prefill /m);
  });

  it('gives the roofline error of a model described inline (--model-profile)', async () => {
    const r = await floodgate(
      'calibrate',
      '--model',
      'bloom-176b',
      '--hardware',
      'h100-80gb',
      '--no-rows',
      '--model-profile',
      '{"activeParamsB":176.2,"layers":70,"hiddenSize":14336,"kvHeads":112,"headDim":128}',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/prefill: 105 rows: fitted median [\d.]+%, worst .*; roofline median 7\.0%/);
  });

  it("takes the roofline's cost per decoding sequence from another model's rows (--engine-from)", async () => {
    const r = await floodgate(
      'calibrate',
      '--model',
      'bloom-176b',
      '--hardware',
      'h100-80gb',
      '--no-rows',
      '--engine-from',
      'llama2-70b',
      '--model-profile',
      '{"activeParamsB":176.2,"layers":70,"hiddenSize":14336,"kvHeads":112,"headDim":128}',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /decode: 105 rows: fitted median [\d.]+%, worst .*; roofline median 7\.7%, worst \+14\.3%/,
    );
    expect(r.stdout).toContain(
      "roofline: 0.305 ms per decoding sequence per step, the engine's cost read off llama2-70b's rows on h100-80gb",
    );
    const unknown = await floodgate('calibrate', '--engine-from', 'llama-9', '--no-rows');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /--engine-from: no measurements of 'llama-9' in .* \(it has llama2-70b, bloom-176b/,
    );
  });

  it('rejects a bad profile or a lone --fit-on as usage errors (exit 2)', async () => {
    const bad = await floodgate('calibrate', '--model', 'bloom-176b', '--model-profile', '{"layers":70}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--model-profile: field activeParamsB expected a positive number/);
    const lone = await floodgate('calibrate', '--fit-on', 'a100-80gb');
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/--fit-on and --check-on go together/);
  });

  it('refuses measurements that cannot pin the model down, saying why (exit 1)', async () => {
    const csv = join(dir, 'batch1.csv');
    const rows = (await readFile('data/splitwise-perf-model.csv', 'utf8'))
      .split('\n')
      .filter((l, i) => i === 0 || /^llama2-70b,h100-80gb,\d+,1,.*,4$/.test(l));
    await writeFile(csv, rows.join('\n'));
    const r = await floodgate('calibrate', csv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /every decode measurement has batch size 1, so the cost per sequence cannot be told/,
    );
  });
});

describe('floodgate schema', () => {
  it('prints a JSON Schema that knows the provider kinds', async () => {
    const r = await floodgate('schema');
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.title).toBe('Floodgate scenario');
    expect(JSON.stringify(schema.properties.providers)).toMatch(/"const":"queue".*"const":"api"/);
  });
});

describe('floodgate validate', () => {
  it('checks bundled scenarios without running them', async () => {
    const r = await floodgate(
      'validate',
      'scenarios/mmc.yaml',
      'scenarios/quickstart.yaml',
      'scenarios/azure-trace.yaml',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(r.stdout).toMatch(/scenarios\/mmc\.yaml: ok \(mmc: 10 h, 1 provider, 1 class, 0 faults, 0 SLOs\)/);
  });
});
