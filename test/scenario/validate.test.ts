import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FloodgateError, ScenarioInvalidError } from '../../src/errors.ts';
import { loadScenarioFile, loadScenarioText, validateScenario } from '../../src/scenario/load.ts';
import { parseOverride } from '../../src/scenario/overrides.ts';
import { resolvePolicies } from '../../src/simulator/simulate.ts';
import { MMC_YAML, mmcWith } from './fixtures.ts';

async function problems(yaml: string, overrides: string[] = []): Promise<string[]> {
  try {
    await loadScenarioText(yaml, 'scenario.yaml', { overrides: overrides.map(parseOverride) });
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioInvalidError);
    expect((e as ScenarioInvalidError).code).toBe('FG_SCENARIO_INVALID');
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the scenario to be invalid');
}

describe('a valid scenario', () => {
  it('loads the contract M/M/c scenario with canonical units and defaults', async () => {
    const { scenario } = await loadScenarioText(MMC_YAML, 'mmc.yaml');
    expect(scenario.duration).toBe(36_000_000);
    expect(scenario.workload.arrivals?.rate).toBe(7.2);
    expect(scenario.providers[0]).toMatchObject({
      kind: 'queue',
      servers: 8,
      service: { dist: 'exponential', mean: 1000 },
    });
    expect(scenario.gateway.admission).toEqual({ policy: 'always-admit', params: {} });
    expect(scenario.gateway.retries.max).toBe(0);
    expect(scenario.workload.client.timeout).toBeUndefined();
    expect(scenario.warmup).toBe(0);
  });

  it('accepts a bare value as a deterministic distribution', async () => {
    const { scenario } = await loadScenarioText(mmcWith({ 8: '    service: 1s' }), 'mmc.yaml');
    expect(scenario.providers[0]).toMatchObject({ service: { dist: 'deterministic', value: 1000 } });
  });

  it('accepts every bundled scenario', async () => {
    for (const file of ['scenarios/mmc.yaml', 'scenarios/quickstart.yaml', 'scenarios/azure-trace.yaml']) {
      const loaded = await loadScenarioFile(file);
      await expect(resolvePolicies(loaded)).resolves.toBeDefined();
    }
  });
});

describe('scenario errors name the file, line, path, expectation and the value found', () => {
  it('reports an unknown key with the nearest valid key', async () => {
    const out = await problems(mmcWith({ 8: '    servce: { dist: exponential, mean: 1s }' }));
    expect(out).toContain(
      "scenario.yaml:8:5: providers[0]: unknown key 'servce' (did you mean 'service'?); valid keys: name, models, pricing, kind, servers, service, queueCapacity",
    );
  });

  it('reports a wrong unit with the accepted forms and the value found', async () => {
    const out = await problems(mmcWith({ 12: '  arrivals: { process: poisson, rate: 7.2/q }' }));
    expect(out).toEqual([
      "scenario.yaml:12:39: workload.arrivals.rate: expected a rate like '7.2/s', '3k/min', '500/h', '10 rps' or '300 rpm' (a bare number is per second), got '7.2/q'",
    ]);
  });

  it('reports a negative rate', async () => {
    const out = await problems(mmcWith({ 12: '  arrivals: { process: poisson, rate: -5/s }' }));
    expect(out[0]).toMatch(/^scenario\.yaml:12:\d+: workload\.arrivals\.rate: expected a rate/);
  });

  it('reports a negative count with the bound', async () => {
    const out = await problems(mmcWith({ 7: '    servers: -3' }));
    expect(out).toEqual(['scenario.yaml:7:14: providers[0].servers: expected a count >= 1, got -3']);
  });

  it('reports a class naming a provider that does not exist', async () => {
    const out = await problems(mmcWith({ 11: '    - name: job\n      providers: [servr]' }));
    expect(out).toEqual([
      "scenario.yaml:12:19: workload.classes[0].providers[0]: expected one of the providers 'server', got 'servr' (did you mean 'server'?)",
    ]);
  });

  it('reports a misspelled provider kind with a suggestion', async () => {
    const out = await problems(mmcWith({ 6: '    kind: qeue' }));
    expect(out[0]).toBe(
      "scenario.yaml:6:11: providers[0].kind: expected 'kind' to be one of 'queue' | 'api' | 'gpu' (did you mean 'queue'?), got 'qeue'",
    );
  });

  it('reports a missing required key at its parent', async () => {
    const out = await problems(mmcWith({ 2: '' }));
    expect(out).toEqual(['scenario.yaml:1:1: duration: missing; expected a duration']);
  });

  it('gathers every problem instead of stopping at the first', async () => {
    const out = await problems(
      mmcWith({ 7: '    servers: 0', 12: '  arrivals: { process: poison, rate: 7.2/s }' }),
    );
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(
      /workload\.arrivals\.process: expected one of "poisson"\|"uniform"\|"gamma", got 'poison'|workload\.arrivals\.process/,
    );
  });

  it('reports invalid YAML with its position', async () => {
    const out = await problems('name: x\nduration: [1h\n');
    expect(out[0]).toMatch(/^scenario\.yaml:\d+:\d+: \(top level\): invalid YAML: /);
  });

  it('says which --set override a problem came from', async () => {
    const out = await problems(MMC_YAML, ['providers[0].servers=-1']);
    expect(out).toEqual([
      'scenario.yaml (--set providers[0].servers): providers[0].servers: expected a count >= 1, got -1',
    ]);
  });

  it('reports an SLO threshold in the wrong unit and an SLO on an unknown class', async () => {
    const out = await problems(MMC_YAML, ['slos=[{metric: ttft.p99, max: fast}]']);
    expect(out[0]).toMatch(/slos\[0\]\.max: expected a duration like '250ms'.*got 'fast'/);
    const out2 = await problems(MMC_YAML, ['slos=[{metric: ttft.p99, max: 1s, class: jbo}]']);
    expect(out2[0]).toMatch(
      /slos\[0\]\.class: expected one of the classes 'job', got 'jbo' \(did you mean 'job'\?\)/,
    );
  });

  it('rejects an unknown SLO metric with a suggestion', async () => {
    const out = await problems(MMC_YAML, ['slos=[{metric: ttft.p98, max: 1s}]']);
    expect(out[0]).toMatch(
      /slos\[0\]\.metric: expected a metric such as .* \(did you mean 'ttft\.p9[09]'\?\), got 'ttft\.p98'/,
    );
  });

  it('refuses a GPU pool whose model does not fit its GPUs', async () => {
    const yaml = `name: big
duration: 1m
providers:
  - { name: p, kind: gpu, model: llama-2-70b, gpu: h100-80gb, replicas: 2 }
workload:
  arrivals: { rate: 1/s }
  classes: [{ name: c }]
`;
    const out = await problems(yaml);
    expect(out).toEqual([
      'scenario.yaml:4:5: providers[0].tensorParallel: expected the model to fit with room for a KV cache: 138.0 GB of weights in 72.0 GB usable at tensorParallel 1; raise tensorParallel or memoryUtilization, got 1',
    ]);
    await expect(
      loadScenarioText(yaml, 'scenario.yaml', {
        overrides: [parseOverride('providers[0].tensorParallel=2')],
      }),
    ).resolves.toBeDefined();
  });

  it('does not modify the object it validates', () => {
    const input = {
      name: 'x',
      duration: '1m',
      providers: [{ name: 'p', kind: 'queue', servers: 1, service: '1s' }],
      workload: { classes: [{ name: 'c' }], arrivals: { rate: 1 } },
    };
    const copy = structuredClone(input);
    validateScenario(input, { overrides: [parseOverride('duration=2m')] });
    expect(input).toEqual(copy);
  });
});

describe('file and trace errors', () => {
  it('reports an unreadable scenario file', async () => {
    const err = await loadScenarioFile('does/not/exist.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FloodgateError);
    expect((err as FloodgateError).code).toBe('FG_SCENARIO_UNREADABLE');
    expect((err as Error).message).toBe('does/not/exist.yaml: cannot read the scenario: ENOENT');
  });

  it('reports an unreadable trace file with the path that names it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-'));
    const file = join(dir, 's.yaml');
    await writeFile(file, mmcWith({ 12: '  arrivals: { trace: { file: missing.csv } }' }));
    const err = await loadScenarioFile(file).catch((e: unknown) => e);
    expect((err as FloodgateError).code).toBe('FG_TRACE_INVALID');
    expect((err as Error).message).toBe(
      `${file}: workload.arrivals.trace.file: cannot read trace '${join(dir, 'missing.csv')}': ENOENT`,
    );
  });

  it('reports a malformed trace row with file:line and column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-'));
    await writeFile(
      join(dir, 't.csv'),
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:47.00,many,44\n',
    );
    await writeFile(join(dir, 's.yaml'), mmcWith({ 12: '  arrivals: { trace: { file: t.csv } }' }));
    const err = await loadScenarioFile(join(dir, 's.yaml')).catch((e: unknown) => e);
    expect((err as FloodgateError).code).toBe('FG_TRACE_INVALID');
    expect((err as Error).message).toBe(
      `${join(dir, 't.csv')}:3: column ContextTokens: expected a number, got 'many'`,
    );
  });
});

describe('policy references', () => {
  it('reports an unknown policy with the valid names and a suggestion', async () => {
    const loaded = await loadScenarioText(
      mmcWith({ 14: '  routing: { policy: round-robn }' }),
      'scenario.yaml',
    );
    const err = await resolvePolicies(loaded).catch((e: unknown) => e);
    expect((err as FloodgateError).code).toBe('FG_UNKNOWN_POLICY');
    expect((err as Error).message).toBe(
      "scenario.yaml: gateway.routing.policy: expected a routing policy (round-robin, random, least-outstanding, power-of-two-choices, peak-ewma, cost-aware, rate-limit-aware, endpoint-picker, prefix-affinity, prefix-scorer, precise-prefix-scorer, model-selection, threshold-router, cascade) or a path to a policy module, got 'round-robn' (did you mean 'round-robin'?)",
    );
  });

  it('reports bad policy parameters like scenario keys', async () => {
    const loaded = await loadScenarioText(MMC_YAML, 'scenario.yaml', {
      overrides: [
        parseOverride('gateway.admission={policy: concurrency-limit, params: {limit: -2, queeu: true}}'),
      ],
    });
    const err = await resolvePolicies(loaded).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioInvalidError);
    const lines = (err as Error).message.split('\n');
    expect(lines).toContain(
      "scenario.yaml: gateway.admission.params: unknown parameter 'queeu' (did you mean 'queue'?); valid: limit, queue",
    );
    expect(
      lines.some((l) =>
        /gateway\.admission\.params\.limit: Too small: expected number to be >0, got -2/.test(l),
      ),
    ).toBe(true);
  });

  it('rejects a routing policy used for admission', async () => {
    const loaded = await loadScenarioText(MMC_YAML, 'scenario.yaml', {
      overrides: [parseOverride('gateway.admission=round-robin')],
    });
    const err = await resolvePolicies(loaded).catch((e: unknown) => e);
    expect((err as FloodgateError).code).toBe('FG_POLICY_INVALID');
    expect((err as Error).message).toBe(
      "scenario.yaml: gateway.admission.policy: 'round-robin' is a routing policy, expected a admission policy",
    );
  });
});
