/**
 * Scenario validation as the CLI user meets it (bin/floodgate.js, built by `npm test`): catalog
 * typos, refused work estimates and `--max`, prototype keys in `--set`. Exit 1 for bad input, 2
 * for a bad flag, never 70.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/process.ts';
import { MMC_YAML } from './fixtures.ts';

const floodgate = (...args: string[]) => runCli(args, { cwd: dir });

const GPU_YAML = `name: pool
duration: 10m
providers:
  - { name: llama, kind: gpu, model: llama-3.1-8b, gpu: h100, replicas: 2 }
workload:
  arrivals: { rate: 5/s }
  classes: [{ name: c }]
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fg-validation-'));
  await writeFile(join(dir, 'mmc.yaml'), MMC_YAML);
  await writeFile(join(dir, 'gpu.yaml'), GPU_YAML);
});

describe('floodgate validate and run on scenario mistakes', () => {
  it('reports a GPU typo as bad input (exit 1), in validate and run alike', async () => {
    for (const cmd of ['validate', 'run']) {
      const r = await floodgate(cmd, 'gpu.yaml');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        "error[FG_SCENARIO_INVALID]: gpu.yaml:4:57: providers[0].gpu: expected a gpu from the catalog (a100-80gb, h100-80gb, h200, l40s) or an inline profile (did you mean 'h100-80gb'?), got 'h100'\n",
      );
    }
  });

  it('refuses a run past the work limit, and --max lets it through', async () => {
    const refused = await floodgate('validate', 'mmc.yaml', '--set', 'workload.arrivals.rate=1M/s');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error[FG_SCENARIO_INVALID]: mmc.yaml: (top level): this run implies about 3.6e10 arrivals (1e6/s at peak for 10 h); the limit is 1e9: shorten duration, lower the rate, or pass --max arrivals=4e10 to run it anyway\n',
    );
    const allowed = await floodgate(
      'validate',
      'mmc.yaml',
      '--set',
      'workload.arrivals.rate=1M/s',
      '--max',
      'arrivals=4e10',
      '--max',
      'events=1e12',
    );
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toBe('mmc.yaml: ok (mmc: 10 h, 1 provider, 1 class, 0 faults, 0 SLOs)\n');
  });

  it('counts what a valid scenario has with correct plurals', async () => {
    const scenarios = join(import.meta.dirname, '../../scenarios');
    const r = await floodgate(
      'validate',
      join(scenarios, 'quickstart.yaml'),
      join(scenarios, 'retry-storm.yaml'),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${join(scenarios, 'quickstart.yaml')}: ok (quickstart: 12 min, 2 providers, 2 classes, 1 fault, 4 SLOs)\n` +
        `${join(scenarios, 'retry-storm.yaml')}: ok (retry-storm: 10 min, 1 provider, 1 class, 1 fault, 1 SLO)\n`,
    );
  });

  it('k6 and emulate apply the work limit and take --max too', async () => {
    const refusal =
      'error[FG_SCENARIO_INVALID]: mmc.yaml: (top level): this run implies about 3.6e10 arrivals (1e6/s at peak for 10 h); the limit is 1e9: shorten duration, lower the rate, or pass --max arrivals=4e10 to run it anyway\n';
    const fast = ['--set', 'workload.arrivals.rate=1M/s'];
    const max = ['--max', 'arrivals=4e10', '--max', 'events=1e12'];
    const k6 = await floodgate('k6', 'mmc.yaml', ...fast, '--out', 'mmc-k6.js');
    expect(k6.code).toBe(1);
    expect(k6.stderr).toBe(refusal);
    const k6Max = await floodgate('k6', 'mmc.yaml', ...fast, ...max, '--out', 'mmc-k6.js');
    expect(k6Max.code).toBe(0);
    expect(k6Max.stdout).toContain('rate x1: 36,000,000,000 requests');
    const emulate = await floodgate(
      'emulate',
      'mmc.yaml',
      ...fast,
      '--port',
      '0',
      '--duration',
      '1s',
      '--quiet',
    );
    expect(emulate.code).toBe(1);
    expect(emulate.stderr).toBe(refusal);
    const emulateMax = await floodgate(
      'emulate',
      'mmc.yaml',
      ...fast,
      ...max,
      '--port',
      '0',
      '--duration',
      '1s',
      '--quiet',
    );
    expect(emulateMax.code).toBe(0);
    expect(emulateMax.stdout).toMatch(/^mmc: emulating 1 provider on http:\/\/127\.0\.0\.1:\d+ /);
  });

  it('refuses an unknown --max limit as a usage error (exit 2)', async () => {
    const r = await floodgate('validate', 'mmc.yaml', '--max', 'arrivls=5');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: option '--max <limit=n>' argument 'arrivls=5' is invalid. expected LIMIT=N with LIMIT one of arrivals, events, points, pairs, got 'arrivls=5' (did you mean 'arrivals'?)\n",
    );
  });

  it('refuses --set through __proto__ (a usage error, exit 2)', async () => {
    const r = await floodgate('validate', 'mmc.yaml', '--set', '__proto__.polluted=1');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error[FG_OVERRIDE_INVALID]: --set __proto__.polluted: '__proto__' is not a scenario key (it would reach the object's prototype)\n",
    );
  });
});
