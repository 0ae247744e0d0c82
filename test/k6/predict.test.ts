/**
 * The prediction of a k6 run (src/k6/predict.ts, `floodgate run --time-scale/--rate-scale/
 * --topology`): one meaning of time scaling (real seconds per scenario second of the timeline)
 * shared with `floodgate k6`, so the prediction offers what the script's stages start; the direct
 * topology sends each class where the emulator serves it; `observe` reads the prediction.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compileK6 } from '../../src/k6/compile.ts';
import { compareRun, predictionOf } from '../../src/k6/observe.ts';
import { predictionScenario } from '../../src/k6/predict.ts';
import type { K6Summary } from '../../src/k6/summary-schema.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/floodgate.js');
const scenarioFile = (name: string) => join(ROOT, `scenarios/${name}.yaml`);

describe('predictionScenario: the run k6 makes', () => {
  it('scales the timeline by F (faults, spikes, warmup, duration, recovery) and rates by R; not the drain', async () => {
    const loaded = await loadScenarioFile(scenarioFile('tab-spike'));
    const { loaded: p, prediction } = predictionScenario(loaded, {
      timeScale: 0.1,
      rateScale: 0.5,
      topology: 'gateway',
    });
    const s = p.scenario;
    expect(prediction).toEqual({ timeScale: 0.1, rateScale: 0.5, topology: 'gateway', arrivals: 'uniform' });
    expect([s.duration, s.warmup, s.drain]).toEqual([36_000, 6_000, loaded.scenario.drain]);
    const tab = s.workload.classes[0]!.arrivals!;
    expect(tab.process).toBe('uniform');
    expect(tab.rate).toBe(20);
    expect(tab.timeline).toEqual([
      { spike: { at: 12_000, multiplier: 3, rampUp: 500, hold: 11_000, rampDown: 500 } },
    ]);
    expect(s.recovery!.within).toBe(6_000);
    // The gateway is the scenario's; the input is untouched.
    expect(s.gateway).toEqual(loaded.scenario.gateway);
    expect(loaded.scenario.duration).toBe(360_000);

    const outage = (await loadScenarioFile(scenarioFile('outage-failover'))).scenario.faults;
    const scaled = predictionScenario(await loadScenarioFile(scenarioFile('outage-failover')), {
      timeScale: 0.1,
      topology: 'direct',
    }).loaded.scenario.faults;
    expect(scaled.map((f) => [f.at, f.for])).toEqual(outage.map((f) => [f.at * 0.1, f.for * 0.1]));
  });

  it('offers what the k6 script of the same scales starts, class by class (within 1%, plain classes)', async () => {
    const loaded = await loadScenarioFile(scenarioFile('tab-spike'));
    const options = { timeScale: 0.1, rateScale: 0.5 };
    const script = compileK6(loaded, options).config;
    const result = await simulate(predictionScenario(loaded, { ...options, topology: 'direct' }).loaded);
    // Requests of the plain classes (a session class's offered figure counts calls, not sessions).
    for (const c of script.classes.filter((k) => k.session === null)) {
      const offered = result.timeseries.classes[c.name]!.offered.reduce<number>((a, x) => a + (x ?? 0), 0);
      expect(offered, c.name).toBeGreaterThan(0.99 * c.expectedIterations - 2);
      expect(offered, c.name).toBeLessThan(1.01 * c.expectedIterations + 2);
    }
  });

  it('direct: no gateway policy, and each class on the provider the emulator picks for its model', async () => {
    const tabSpike = predictionScenario(await loadScenarioFile(scenarioFile('tab-spike')), {
      topology: 'direct',
    });
    expect(tabSpike.prediction.routes).toEqual({ tab: 'gpu-pool', chat: 'hosted', agent: 'hosted' });
    const g = tabSpike.loaded.scenario.gateway;
    expect([g.admission.policy, g.routing.policy, g.health, g.hedging, g.retries.max]).toEqual([
      'always-admit',
      'round-robin',
      undefined,
      undefined,
      0,
    ]);
    expect(tabSpike.loaded.scenario.workload.classes.map((c) => c.providers)).toEqual([
      ['gpu-pool'],
      ['hosted'],
      ['hosted'],
    ]);
    // outage-failover's review class may use only `secondary`, which also serves `coder`.
    const of = predictionScenario(await loadScenarioFile(scenarioFile('outage-failover')), {
      topology: 'direct',
    });
    expect(of.prediction.routes).toEqual({ chat: 'primary', agent: 'primary', review: 'secondary' });
  });

  it('refuses a scale that is not a positive number', async () => {
    const loaded = await loadScenarioFile(scenarioFile('mmc'));
    expect(() => predictionScenario(loaded, { timeScale: 0, topology: 'direct' })).toThrow(/greater than 0/);
    expect(() => predictionScenario(loaded, { rateScale: Number.NaN, topology: 'direct' })).toThrow(
      /greater than 0/,
    );
  });
});

describe('floodgate run with and without the prediction flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'floodgate-predict-'));

  it('without them: the result of the scenario as it is (no prediction block, the same bytes as simulate)', async () => {
    const out = join(dir, 'plain.json');
    await run(process.execPath, [BIN, 'run', scenarioFile('mmc'), '--quiet', '--out', out], {
      cwd: ROOT,
    }).catch((e: { code: number }) => e);
    const text = readFileSync(out, 'utf8');
    const expected = await simulate(await loadScenarioFile(scenarioFile('mmc')));
    expect(text).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(text).not.toContain('"prediction"');
  });

  it('with them: the prediction block last, the routes, and the line saying what is predicted', async () => {
    const out = join(dir, 'direct.json');
    const r = await run(
      process.execPath,
      [
        BIN,
        'run',
        scenarioFile('tab-spike'),
        '--quiet',
        '--time-scale',
        '0.1',
        '--topology',
        'direct',
        '--out',
        out,
      ],
      { cwd: ROOT },
    ).catch((e: { code: number; stdout: string }) => e);
    expect((r as { stdout: string }).stdout.split('\n')[0]).toBe(
      'prediction of a k6 run: time x0.1, rate x1, topology direct (tab -> gpu-pool, chat -> hosted, agent -> hosted); iterations start evenly, as k6 starts them',
    );
    const json = JSON.parse(readFileSync(out, 'utf8')) as RunResult & { prediction: unknown };
    expect(Object.keys(json).at(-1)).toBe('prediction');
    expect(predictionOf(json)).toEqual({
      timeScale: 0.1,
      rateScale: 1,
      topology: 'direct',
      arrivals: 'uniform',
      routes: { tab: 'gpu-pool', chat: 'hosted', agent: 'hosted' },
      notes: [
        "class tab: the emulator drops a request still waiting in its provider's queue 500 ms after it arrived (X-Floodgate-Deadline-Ms, 503 deadline_exceeded); this prediction does not, so it shows them waiting instead",
      ],
    });
    expect((r as { stdout: string }).stdout.split('\n')[1]).toMatch(
      /^ {2}not modelled: class tab: the emulator drops/,
    );
    expect(json.durationMs).toBe(36_000);
  });

  it.each([
    [['--topology', 'mesh'], /expected direct or gateway, got 'mesh'/],
    [['--time-scale', '10x'], /'Nx' was floodgate emulate's old, inverse convention/],
    [['--rate-scale', '0'], /expected a number greater than 0, got '0'/],
  ])('exits 2 on %j', async (args, message) => {
    const r = await run(process.execPath, [BIN, 'run', scenarioFile('mmc'), ...args], { cwd: ROOT }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toMatch(message);
  });
});

describe('observe reads the prediction', () => {
  it('puts a scaled prediction back into scenario units and says whether it is of this run', async () => {
    const loaded = await loadScenarioFile(scenarioFile('mmc'));
    const { loaded: p, prediction } = predictionScenario(loaded, {
      timeScale: 0.01,
      rateScale: 0.5,
      topology: 'direct',
    });
    const result = { ...(await simulate(p)), prediction } as RunResult;
    const observed = mirrorOf(result, 0.01, 0.5);
    const c = compareRun(result, observed, { tolerance: 0.001 });
    expect(c.rows.filter((x) => x.metric === 'offeredPerSec').every((x) => x.verdict === 'ok')).toBe(true);
    // In scenario units: mmc offers 7.2 jobs per second.
    expect(c.rows.find((x) => x.metric === 'offeredPerSec' && x.scope === 'all')!.predicted).toBeCloseTo(
      7.2,
      1,
    );
    expect(c.notes).toContain('the prediction is of this run: time x0.01, rate x0.5, topology direct');
    const other = compareRun(result, { ...observed, timeScale: 0.1 }, { tolerance: 0.001 });
    expect(other.notes.join('\n')).toMatch(
      /the prediction is of a run at time x0.01, rate x0.5, but k6 ran at time x0.1, rate x0.5: predict it with floodgate run --time-scale 0.1 --rate-scale 0.5 --topology direct/,
    );
  });

  it('ignores a prediction block of the wrong shape (input is not trusted)', () => {
    const base = { schema: 'floodgate/run-result@1' } as unknown as RunResult;
    for (const prediction of [
      null,
      'x',
      { timeScale: -1, rateScale: 1, topology: 'direct' },
      { timeScale: 1, rateScale: 1, topology: 'mesh' },
    ])
      expect(predictionOf({ ...base, prediction } as unknown as RunResult)).toBeUndefined();
  });
});

/** What a k6 run matching the prediction exactly reports (its counts are the run's, real units). */
function mirrorOf(r: RunResult, timeScale: number, rateScale: number): K6Summary {
  const cls = (c: Pick<RunResult, 'requests' | 'latency'>) => ({
    requests: c.requests.offered,
    outcomes: {
      ok: c.requests.completed,
      rateLimited: c.requests.rateLimited,
      serverError: c.requests.failed + c.requests.shed,
      timedOut: c.requests.timedOut,
      otherError: 0,
      abandoned: c.requests.abandoned,
    },
    attempts: c.requests.attempts,
    droppedIterations: 0,
    ttft: { ...c.latency.ttft },
    tpot: { ...c.latency.tpot },
    e2e: { ...c.latency.e2e },
    itl: { ...c.latency.itl },
    inputTokens: 0,
    outputTokens: 0,
    goodput: c.requests.goodput,
  });
  return {
    schema: 'floodgate/k6-summary@1',
    scenario: { name: r.scenario.name, file: 'mmc.yaml', seed: r.seed, durationMs: 0, warmupMs: 0 },
    mode: 'stock',
    ttftSource: 'ttfb',
    timeScale,
    rateScale,
    parallelism: 1,
    measuredMs: r.durationMs - r.warmupMs,
    testRunDurationMs: null,
    expectedIterations: 0,
    droppedIterations: 0,
    warmupRequests: 0,
    classes: Object.fromEntries(Object.entries(r.classes).map(([k, c]) => [k, cls(c)])),
    overall: cls(r),
    thresholds: [],
    pass: true,
  } as K6Summary;
}
