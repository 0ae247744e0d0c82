/**
 * Issue 12, scenario validation: what `run` would refuse or choke on, `validate` refuses first,
 * with the message users read.
 */
import { describe, expect, it } from 'vitest';
import { FloodgateError, ScenarioInvalidError } from '../../src/errors.ts';
import { DEFAULT_WORK_LIMITS, estimateWork } from '../../src/scenario/budget.ts';
import { loadScenarioFile, loadScenarioText, validateScenario } from '../../src/scenario/load.ts';
import { applyOverride, parseOverride } from '../../src/scenario/overrides.ts';
import { nearestName } from '../../src/scenario/suggest.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { MMC_YAML, mmcWith } from './fixtures.ts';

const GPU_YAML = `name: pool
duration: 10m
providers:
  - name: llama
    kind: gpu
    model: llama-3.1-8b
    gpu: h100-80gb
    replicas: 2
workload:
  arrivals: { rate: 5/s }
  classes: [{ name: c }]
`;

async function problems(yaml: string, overrides: string[] = [], limits = {}): Promise<string[]> {
  try {
    await loadScenarioText(yaml, 'scenario.yaml', { overrides: overrides.map(parseOverride), limits });
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioInvalidError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected the scenario to be invalid');
}

describe('catalog names', () => {
  it('refuses a GPU typo with a suggestion instead of crashing', async () => {
    expect(await problems(GPU_YAML.replace('gpu: h100-80gb', 'gpu: h100'))).toEqual([
      "scenario.yaml:7:10: providers[0].gpu: expected a gpu from the catalog (a100-80gb, h100-80gb, h200, l40s) or an inline profile (did you mean 'h100-80gb'?), got 'h100'",
    ]);
  });

  it('refuses a model typo with a suggestion instead of crashing', async () => {
    expect(await problems(GPU_YAML.replace('model: llama-3.1-8b', 'model: llama-3-8b'))).toEqual([
      "scenario.yaml:6:12: providers[0].model: expected a model from the catalog (llama-3.1-8b, llama-3.1-70b, llama-2-70b, mixtral-8x7b, llama-3.2-1b) or an inline profile (did you mean 'llama-3.1-8b'?), got 'llama-3-8b'",
    ]);
  });

  it('suggests the full name for one cut short', () => {
    expect(nearestName('h100', ['a100-80gb', 'h100-80gb', 'h200'])).toBe('h100-80gb');
    expect(nearestName('servce', ['service', 'servers'])).toBe('service');
  });

  it('refuses an unknown fitted timing, which run would fail to find', async () => {
    expect(
      await problems(GPU_YAML, ['providers[0].timing={model: fitted, from: llama-2-70b/h100/tp4}']),
    ).toEqual([
      "scenario.yaml (--set providers[0].timing): providers[0].timing.from: expected a fit from the catalog (llama-2-70b/h100-80gb/tp2, llama-2-70b/h100-80gb/tp4, llama-2-70b/h100-80gb/tp8, llama-2-70b/a100-80gb/tp2, llama-2-70b/a100-80gb/tp4, llama-2-70b/a100-80gb/tp8), got 'llama-2-70b/h100/tp4' (did you mean 'llama-2-70b/h100-80gb/tp4'?)",
    ]);
    expect(await problems(GPU_YAML, ['providers[0].timing={model: fitted}'])).toEqual([
      "scenario.yaml (--set providers[0].timing): providers[0].timing: expected 'from' or 'coefficients', got neither: the catalog has no fit for 'llama-3.1-8b/h100-80gb/tp1' (it has llama-2-70b/h100-80gb/tp2, llama-2-70b/h100-80gb/tp4, llama-2-70b/h100-80gb/tp8, llama-2-70b/a100-80gb/tp2, llama-2-70b/a100-80gb/tp4, llama-2-70b/a100-80gb/tp8)",
    ]);
  });
});

describe('values run would choke on', () => {
  it('bounds replicas', async () => {
    expect(await problems(GPU_YAML.replace('replicas: 2', 'replicas: 9007199254740992'))).toEqual([
      'scenario.yaml:8:15: providers[0].replicas: expected a count <= 10000, got 9007199254740992',
    ]);
  });

  it('keeps a gamma cv where sampling is sound', async () => {
    for (const cv of ['1e-300', '1e300', '1e6'])
      expect(
        await problems(MMC_YAML, ['workload.arrivals.process=gamma', `workload.arrivals.cv=${cv}`]),
      ).toEqual([
        `scenario.yaml (--set workload.arrivals.cv): workload.arrivals.cv: expected a coefficient of variation from 0.01 to 10, got ${Number(cv)}`,
      ]);
    expect(await problems(mmcWith({ 8: '    service: { dist: gamma, mean: 1s, cv: 0 }' }))).toEqual([
      'scenario.yaml:8:43: providers[0].service.cv: expected a coefficient of variation from 0.01 to 10, got 0',
    ]);
  });

  it('refuses a step inside a ramp', async () => {
    expect(
      await problems(MMC_YAML, [
        'workload.arrivals.timeline=[{ramp: {at: 0s, over: 5m, to: 10/s}}, {step: {at: 1m, rate: 5/s}}]',
      ]),
    ).toEqual([
      'scenario.yaml (--set workload.arrivals.timeline): workload.arrivals.timeline[1].step.at: expected a step starting after the ramp at 0 ms ends (5 min), got 60 s',
    ]);
  });

  it('refuses a huge rate, duration or a non-finite number', async () => {
    expect(await problems(mmcWith({ 12: '  arrivals: { process: poisson, rate: 7.2e12/s }' }))).toEqual([
      "scenario.yaml:12:39: workload.arrivals.rate: expected a rate <= 1M/s, got '7.2e12/s'",
    ]);
    expect(await problems(mmcWith({ 2: 'duration: 1e20s' }))).toEqual([
      "scenario.yaml:2:11: duration: expected a duration <= 365d, got '1e20s'",
    ]);
    expect(await problems(mmcWith({ 7: "    servers: '1e400'" }))).toEqual([
      "scenario.yaml:7:14: providers[0].servers: expected a count that is a finite number, got '1e400'",
    ]);
  });

  it('shows a YAML .inf, -.inf, .nan or 1e400 as it is, not as JSON null', async () => {
    for (const [yaml, shown] of [
      ['.inf', 'Infinity'],
      ['-.inf', '-Infinity'],
      ['.nan', 'NaN'],
      ['1e400', 'Infinity'],
    ])
      expect(await problems(mmcWith({ 7: `    servers: ${yaml}` }))).toEqual([
        `scenario.yaml:7:14: providers[0].servers: expected a count, got ${shown}`,
      ]);
  });

  it('refuses a metrics interval below 1 ms', async () => {
    expect(await problems(MMC_YAML, ['metrics.interval=1us'])).toEqual([
      "scenario.yaml (--set metrics.interval): metrics.interval: expected 'auto' or a duration >= 1ms, got '1us'",
    ]);
    expect(await problems(MMC_YAML, ['metrics.interval=fast'])).toEqual([
      "scenario.yaml (--set metrics.interval): metrics.interval: expected 'auto' or a duration like '250ms', '1.5s', '5m', '2h', '1h30m', got 'fast'",
    ]);
  });

  it('refuses too many classes', async () => {
    const classes = Array.from({ length: 501 }, (_, i) => ({ name: `c${i}` }));
    expect(await problems(MMC_YAML, [`workload.classes=${JSON.stringify(classes)}`])).toEqual([
      'scenario.yaml (--set workload.classes): workload.classes: expected at most 500 request classes, got 501',
    ]);
  });

  it('refuses a negative share where a share is meant', async () => {
    expect(await problems(MMC_YAML, ['slos=[{metric: errorShare, max: -70%}]'])).toEqual([
      "scenario.yaml (--set slos): slos[0].max: expected a share >= 0, got '-70%'",
    ]);
    expect(await problems(MMC_YAML, ['slos=[{metric: goodputShare, min: 170%}]'])).toEqual([
      "scenario.yaml (--set slos): slos[0].min: expected a share <= 1, got '170%'",
    ]);
    expect(await problems(MMC_YAML, ['slos=[{metric: amplification, max: -1}]'])).toEqual([
      'scenario.yaml (--set slos): slos[0].max: expected a number >= 0, got -1',
    ]);
  });
});

describe('values that load must run', () => {
  it('runs an API whose output speed can be drawn as 0 (a 1-token answer took 0 / 0 ms)', async () => {
    const yaml = `name: zero-speed
duration: 20s
providers:
  - name: api
    kind: api
    outputRate: { dist: normal, mean: 1/s, stddev: 100/s }
workload:
  arrivals: { rate: 20/s }
  classes: [{ name: c, outputTokens: 1 }]
`;
    const r = await simulate(await loadScenarioText(yaml, 's.yaml'));
    expect(r.requests.offered).toBeGreaterThan(300);
    expect(Number.isFinite(r.endMs)).toBe(true);
  });
});

describe('newcomer mistakes', () => {
  it('asks for a unit on a bare duration in YAML', async () => {
    expect(await problems(MMC_YAML, ['gateway.attemptTimeout=20'])).toEqual([
      'scenario.yaml (--set gateway.attemptTimeout): gateway.attemptTimeout: expected a duration with a unit, got 20: write 20s or 20ms',
    ]);
    expect(await problems(mmcWith({ 2: 'duration: 600' }))).toEqual([
      'scenario.yaml:2:11: duration: expected a duration with a unit, got 600: write 600s or 600ms',
    ]);
    expect(await problems(MMC_YAML, ["slos=[{metric: ttft.p99, max: '250'}]"])).toEqual([
      "scenario.yaml (--set slos): slos[0].max: expected a duration with a unit, got '250': write 250s or 250ms",
    ]);
  });

  it('accepts 0 without a unit in YAML, and milliseconds from TypeScript', async () => {
    const { scenario } = await loadScenarioText(MMC_YAML, 's.yaml', {
      overrides: [parseOverride('warmup=0')],
    });
    expect(scenario.warmup).toBe(0);
    const ts = validateScenario({
      name: 'x',
      duration: 60_000,
      providers: [{ name: 'p', kind: 'queue', servers: 1, service: 20 }],
      workload: { classes: [{ name: 'c' }], arrivals: { rate: 1 } },
      gateway: { attemptTimeout: 20 },
    });
    expect(ts.duration).toBe(60_000);
    expect(ts.gateway.attemptTimeout).toBe(20);
  });

  it('refuses a fault placed after the run ends, and keeps one in the drain', async () => {
    expect(await problems(MMC_YAML, ['faults=[{provider: server, kind: outage, at: 11h, for: 1m}]'])).toEqual(
      [
        'scenario.yaml (--set faults): faults[0].at: expected a fault starting before the run ends at 10 h (duration 10 h + drain 60 s), got 11 h',
      ],
    );
    await expect(
      loadScenarioText(MMC_YAML, 's.yaml', {
        overrides: [parseOverride('faults=[{provider: server, kind: outage, at: 10h, for: 1m}]')],
      }),
    ).resolves.toBeDefined();
  });
});

describe('the work estimate', () => {
  it('refuses a run implying too many arrivals, with the estimate and the way through', async () => {
    expect(await problems(MMC_YAML, ['workload.arrivals.rate=1M/s'])).toEqual([
      'scenario.yaml: (top level): this run implies about 3.6e10 arrivals (1e6/s at peak for 10 h); the limit is 1e9: shorten duration, lower the rate, or pass --max arrivals=4e10 to run it anyway',
    ]);
    await expect(
      loadScenarioText(MMC_YAML, 's.yaml', {
        overrides: [parseOverride('workload.arrivals.rate=1M/s')],
        limits: { arrivals: 4e10, events: 1e12 },
      }),
    ).resolves.toBeDefined();
  });

  it('counts session calls and retries', async () => {
    const agents = mmcWith(
      { 11: '    - name: job\n      session: { calls: 5000 }' },
      'gateway:\n  retries: { max: 3 }\n',
    ).replace('gateway:\n  routing: { policy: round-robin }\n', '');
    expect(await problems(agents)).toEqual([
      'scenario.yaml: (top level): this run implies about 1.3e9 arrivals (7.2/s at peak for 10 h); the limit is 1e9: shorten duration, lower the rate, or pass --max arrivals=1.4e9 to run it anyway',
    ]);
    expect(await problems(agents, [], { arrivals: 2e9 })).toEqual([
      'scenario.yaml: (top level): this run implies about 5.2e10 simulation events (1.3e9 arrivals with up to their retries, and periodic scrapes); the limit is 2e10: shorten duration, lower the rate, retries.max or raise scrapeInterval, or pass --max events=5.7e10 to run it anyway',
    ]);
  });

  it('counts a trace once it is read, looping and sped up', async () => {
    const overrides = ['loop=true', 'speed=1000', 'rateScale=1000'].map((o) =>
      parseOverride(`workload.arrivals.trace.${o}`),
    );
    const err = await loadScenarioFile('scenarios/trace-replay.yaml', { overrides }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioInvalidError);
    expect((err as Error).message).toBe(
      'scenarios/trace-replay.yaml: (top level): this run implies about 1.4e10 arrivals (5.5e6/s at peak for 42 min); the limit is 1e9: shorten duration, lower the rate, or pass --max arrivals=1.5e10 to run it anyway',
    );
  });

  it('refuses a metrics interval that explodes the series', async () => {
    expect(await problems(MMC_YAML, ['metrics.interval=1ms'])).toEqual([
      'scenario.yaml: (top level): this run implies about 8.3e8 time-series points (3.6e7 windows of 1 ms x 23 series); the limit is 5e6: raise metrics.interval (or leave it auto), or pass --max points=9.1e8 to run it anyway',
    ]);
  });

  it('passes every bundled scenario with room to spare', async () => {
    const files = [
      'azure-trace',
      'cursor-day',
      'diurnal-capacity',
      'editor-mix',
      'gpu-pool',
      'mmc',
      'outage-failover',
      'quickstart',
      'retry-storm',
      'stale-metrics',
      'tab-spike',
      'thundering-herd',
      'trace-replay',
    ].map((n) => `scenarios/${n}.yaml`);
    for (const file of [...files, 'bench/scenarios/gpu-16x8b.yaml']) {
      const loaded = await loadScenarioFile(file);
      const e = estimateWork(loaded.scenario, loaded.traces);
      for (const limit of ['arrivals', 'events', 'points', 'pairs'] as const)
        expect(e[limit], `${file} ${limit}`).toBeLessThan(DEFAULT_WORK_LIMITS[limit] / 10);
    }
    const day = estimateWork((await loadScenarioFile('scenarios/cursor-day.yaml')).scenario);
    expect(day.arrivals).toBeGreaterThan(2.2e7);
    expect(day.arrivals).toBeLessThan(2.6e7);
  });
});

describe('overrides and YAML keys never reach a prototype', () => {
  it('refuses __proto__, constructor and prototype in an override path', () => {
    for (const [text, key] of [
      ['__proto__.polluted=1', '__proto__'],
      ['constructor.prototype.polluted=1', 'constructor'],
      ['providers[0].__proto__.polluted=1', '__proto__'],
      ['gateway.prototype=1', 'prototype'],
    ] as const) {
      const err = (() => {
        try {
          parseOverride(text);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(FloodgateError);
      expect((err as FloodgateError).code).toBe('FG_OVERRIDE_INVALID');
      expect((err as Error).message).toBe(
        `--set ${text.slice(0, text.indexOf('='))}: '${key}' is not a scenario key (it would reach the object's prototype)`,
      );
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('does not walk into inherited properties', async () => {
    const out = applyOverride({ name: 'x' }, { path: 'toString.x', value: 1 }) as Record<string, unknown>;
    expect(Object.hasOwn(out, 'toString')).toBe(true);
    expect(out['toString']).toEqual({ x: 1 });
    expect(typeof ({} as { toString: unknown }).toString).toBe('function');
  });

  it('names a few unknown keys, counts the rest and lists the valid keys once', async () => {
    const VALID =
      'valid keys: name, description, duration, warmup, drain, seed, providers, faults, workload, gateway, slos, recovery, quality, metrics';
    expect(await problems(`${MMC_YAML}durtion: 1\n"fo\\eo": 2\n`)).toEqual([
      `scenario.yaml:15:1: (top level): unknown keys 'durtion' (did you mean 'duration'?), 'fo\\x1bo'; ${VALID}`,
    ]);
    const many = Array.from({ length: 50_000 }, (_, i) => `key${i}: 1\n`).join('');
    expect(await problems(`${MMC_YAML}${many}`)).toEqual([
      `scenario.yaml:15:1: (top level): unknown keys 'key0', 'key1', 'key2', 'key3', 'key4' and 49,995 more; ${VALID}`,
    ]);
  });

  it('treats a __proto__ key in YAML as an unknown key, and never pollutes', async () => {
    expect(await problems(`__proto__: { polluted: 1 }\n${MMC_YAML}`)).toEqual([
      "scenario.yaml:1:1: (top level): unknown key '__proto__'; valid keys: name, description, duration, warmup, drain, seed, providers, faults, workload, gateway, slos, recovery, quality, metrics",
    ]);
    const { scenario } = await loadScenarioText(
      MMC_YAML.replace(
        '  routing: { policy: round-robin }',
        '  routing: { policy: round-robin, params: { __proto__: { polluted: 1 } } }',
      ),
      's.yaml',
    );
    expect(Object.keys(scenario.gateway.routing.params)).toEqual([]);
    expect((scenario.gateway.routing.params as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('problems from --set', () => {
  it('blames an unknown key on the override that wrote it, not on a line of the file', async () => {
    expect(await problems(MMC_YAML, ['attemptTimeout=20'])).toEqual([
      "scenario.yaml (--set attemptTimeout): (top level): unknown key 'attemptTimeout'; valid keys: name, description, duration, warmup, drain, seed, providers, faults, workload, gateway, slos, recovery, quality, metrics",
    ]);
  });

  it("shows the value found instead of zod's 'received <type>'", async () => {
    expect(await problems(MMC_YAML, ['workload=abc', 'name=null'])).toEqual([
      'scenario.yaml (--set name): name: expected string, got null',
      "scenario.yaml (--set workload): workload: expected object, got 'abc'",
    ]);
  });
});
