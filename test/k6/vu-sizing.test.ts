/**
 * VU pre-allocation for the bundled scenarios the issue names (editor-mix, tab-spike, mmc) and
 * quickstart. k6 drops an iteration whenever it must initialise a VU mid-run, so
 * `preAllocatedVUs` must cover the concurrency the run reaches; and it must stay bounded (a
 * pre-allocation equal to maxVUs would initialise ~11,700 VUs for quickstart). The oracle is the
 * simulator's own prediction of each class's concurrency (Little's law on its loaded mean: peak
 * rate x mean E2E, or x mean session length for a session class). Then the end-of-run advice:
 * what dropped iterations mean depends on whether maxVUs was reached.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleK6Script } from '../../src/k6/bundle.ts';
import { compileK6 } from '../../src/k6/compile.ts';
import type { ScriptConfig } from '../../src/k6/script-config.ts';
import { parseK6Duration } from '../../src/k6/stages.ts';
import type { K6Summary } from '../../src/k6/summary-schema.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { fakeAfterWarmup, loadScript } from './harness.ts';

const scenarioFile = (name: string) => join(import.meta.dirname, `../../scenarios/${name}.yaml`);

function peakRps(config: ScriptConfig, scenario: string): number {
  const s = config.options.scenarios[scenario]!;
  return Math.max(s.startRate, ...s.stages.map((x) => x.target)) / (parseK6Duration(s.timeUnit) / 1000);
}

/** Each class's predicted concurrency: peak rate x the simulator's mean time in system. */
function predictedInFlight(config: ScriptConfig, result: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of config.classes) {
    const r = result.classes[c.name]!;
    const holdMs = r.sessions ? r.sessions.duration.mean! : r.latency.e2e.mean!;
    out[c.name] = peakRps(config, c.scenario) * (holdMs / 1000);
  }
  return out;
}

describe('preAllocatedVUs for the bundled scenarios', () => {
  const cases = ['editor-mix', 'tab-spike', 'mmc', 'quickstart'] as const;
  const figures: Record<string, { config: ScriptConfig; inFlight: Record<string, number> }> = {};
  beforeAll(async () => {
    for (const name of cases) {
      const loaded = await loadScenarioFile(scenarioFile(name));
      const config = compileK6(loaded).config;
      figures[name] = { config, inFlight: predictedInFlight(config, await simulate(loaded)) };
    }
  });

  it.each(cases)(
    '%s: every class pre-allocates more than the predicted concurrency, at most 6x it (+30), within maxVUs',
    (name) => {
      const { config, inFlight } = figures[name]!;
      for (const c of config.classes) {
        const s = config.options.scenarios[c.scenario]!;
        const need = inFlight[c.name]!;
        expect(
          s.preAllocatedVUs,
          `${name}/${c.name}: predicted ${need.toFixed(1)} in flight`,
        ).toBeGreaterThan(need);
        expect(s.preAllocatedVUs).toBeLessThanOrEqual(6 * need + 30);
        expect(s.preAllocatedVUs).toBeLessThanOrEqual(s.maxVUs);
      }
    },
  );

  it('the pre-allocation is bounded: quickstart starts with under 1,000 VUs, not its 11,700 maxVUs', () => {
    const scenarios = Object.values(figures['quickstart']!.config.options.scenarios);
    const pre = scenarios.reduce((a, s) => a + s.preAllocatedVUs, 0);
    const max = scenarios.reduce((a, s) => a + s.maxVUs, 0);
    expect(max).toBe(8775 + 2925);
    expect(pre).toBeLessThan(1000);
  });

  it('mmc (M/M/8 at 90% load) pre-allocates past its queueing concurrency; the unloaded mean (11 VUs) did not', () => {
    const { config, inFlight } = figures['mmc']!;
    // 7.2/s x 1 s of service is 7.2 in flight unloaded; queueing makes it ~13.5 (the prediction).
    expect(inFlight['job']!).toBeGreaterThan(11);
    expect(config.options.scenarios['job']!.preAllocatedVUs).toBeGreaterThan(2 * inFlight['job']!);
  });

  it('tab-spike: the tab pre-allocation covers the spike (120/s) at the 3 s client timeout less 20%', () => {
    const tab = figures['tab-spike']!.config.options.scenarios['tab']!;
    expect(tab.maxVUs).toBe(Math.ceil(120 * 3 * 1.5));
    expect(tab.preAllocatedVUs).toBeGreaterThan(0.8 * 120 * 3);
  });
});

describe('what the summary says about dropped iterations', () => {
  let text: string;
  let config: ScriptConfig;
  beforeAll(async () => {
    config = compileK6(await loadScenarioFile(scenarioFile('editor-mix')), { timeScale: 0.1 }).config;
    text = await bundleK6Script(config);
  });

  async function summarise(dropped: number, vusMax: number | undefined) {
    const fake = fakeAfterWarmup();
    const script = await loadScript(text, fake, { FLOODGATE_SUMMARY: 's.json' });
    const data = fake.summaryData(config.options.thresholds) as {
      metrics: Record<string, unknown>;
    };
    data.metrics['dropped_iterations'] = { type: 'counter', values: { count: dropped, rate: 0 } };
    if (vusMax !== undefined)
      data.metrics['vus_max'] = { type: 'gauge', values: { value: vusMax, min: 1, max: vusMax } };
    const files = script.handleSummary(data);
    return { stdout: files['stdout']!, json: JSON.parse(files['s.json']!) as K6Summary };
  }

  const planned = () => {
    const s = Object.values(config.options.scenarios);
    return {
      pre: s.reduce((a, x) => a + x.preAllocatedVUs, 0),
      max: s.reduce((a, x) => a + x.maxVUs, 0),
    };
  };

  it('records the planned and peak VUs in the JSON summary', async () => {
    const { pre, max } = planned();
    const { json, stdout } = await summarise(0, pre);
    expect(json.vus).toEqual({ preAllocated: pre, max, peak: pre });
    expect(stdout).toContain(`dropped iterations 0; VUs ${pre} pre-allocated, ${max} max, peak ${pre}; `);
  });

  it('drops while maxVUs was never reached: preAllocatedVUs too low, not "raise maxVUs"', async () => {
    const { pre, max } = planned();
    const { stdout } = await summarise(4, pre + 7);
    expect(stdout).toMatch(
      new RegExp(
        `dropped iterations 4 {2}\\(preAllocatedVUs too low: k6 initialised VUs mid-run, ${pre} pre-allocated, peak ${pre + 7}, maxVUs ${max} never reached`,
      ),
    );
    expect(stdout).not.toMatch(/raise maxVUs/);
  });

  it('drops with every VU busy at maxVUs: says maxVUs was reached', async () => {
    const { max } = planned();
    const { stdout } = await summarise(101, max);
    expect(stdout).toMatch(
      new RegExp(`dropped iterations 101 {2}\\(maxVUs reached: all ${max} VUs were busy`),
    );
  });

  it('drops without vus_max in the data: no guess about which limit', async () => {
    const { stdout, json } = await summarise(2, undefined);
    expect(json.vus!.peak).toBeNull();
    expect(stdout).toMatch(/dropped iterations 2 {2}\(k6 had no free VU when they were due\)/);
  });
});
