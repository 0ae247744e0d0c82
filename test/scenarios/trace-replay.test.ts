/**
 * The bundled trace-replay scenario: the Azure conversation trace through a self-hosted pool keeps
 * its measured burstiness and sizes, and that burstiness costs SLOs that a Poisson stream at the
 * same mean rate, with the same size distribution, on the same pool does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioFile } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';

const FILE = join(import.meta.dirname, '../../scenarios/trace-replay.yaml');
const TRACE = join(import.meta.dirname, '../../data/azure-llm-2023-conv.csv');
/** As in the scenario file. */
const SPEED = 1.4;
const DURATION_MS = 42 * 60_000;
const WINDOW_MS = 10_000;

/** The trace read directly: arrival offsets (ms from the first record) and sizes. */
function readTrace() {
  const lines = readFileSync(TRACE, 'utf8').trim().split('\n').slice(1);
  const times: number[] = [];
  let prompt = 0;
  let output = 0;
  for (const line of lines) {
    const [ts, p, o] = line.split(',');
    // "2023-11-16 18:15:46.6805900": whole seconds by Date.parse, the fraction added exactly.
    const [whole, frac = '0'] = ts!.split('.');
    times.push(Date.parse(`${whole!.replace(' ', 'T')}Z`) + Number(`0.${frac}`) * 1000);
    prompt += Number(p);
    output += Number(o);
  }
  const t0 = times[0]!;
  const offsets = times.map((t) => t - t0);
  return {
    offsets,
    spanMs: offsets[offsets.length - 1]!,
    meanPrompt: prompt / lines.length,
    meanOutput: output / lines.length,
  };
}

/** Coefficient of variation of counts per window of `group` consecutive windows. */
function cv(counts: readonly number[], group: number): number {
  const sums: number[] = [];
  for (let i = 0; i + group <= counts.length; i += group)
    sums.push(counts.slice(i, i + group).reduce((a, b) => a + b, 0));
  const mean = sums.reduce((a, b) => a + b, 0) / sums.length;
  const variance = sums.reduce((a, b) => a + (b - mean) ** 2, 0) / sums.length;
  return Math.sqrt(variance) / mean;
}

/** Offered per 10 s window over the arrival period (the drain windows left out). */
const offered = (r: RunResult) => r.timeseries.offered.slice(0, DURATION_MS / WINDOW_MS).map((v) => v ?? 0);

describe('scenarios/trace-replay.yaml', () => {
  const trace = readTrace();
  // The trace's own counts in the run's windows (its timestamps divided by the speed-up).
  const traceCounts = new Array<number>(DURATION_MS / WINDOW_MS).fill(0);
  for (const t of trace.offsets) {
    const w = Math.floor(t / SPEED / WINDOW_MS);
    if (w < traceCounts.length) traceCounts[w]!++;
  }
  const meanRate = (trace.offsets.length * SPEED) / (trace.spanMs / 1000); // about 7.74/s

  let replay: RunResult;
  let poissons: RunResult[];
  beforeAll(async () => {
    replay = await simulate(await loadScenarioFile(FILE));
    // The same pool and size distribution, arrivals Poisson at the trace's mean rate.
    const poisson = await loadScenarioFile(FILE, {
      overrides: [{ path: 'workload.arrivals', value: { process: 'poisson', rate: meanRate } }],
    });
    poissons = [];
    for (const seed of [1, 2, 3]) poissons.push(await simulate(poisson, { seed }));
  }, 60_000);

  it('keeps the trace burstiness: per-window counts as variable as the trace, far more than Poisson', () => {
    expect(replay.timeseries.intervalMs).toBe(WINDOW_MS);
    expect(replay.requests.offered).toBe(trace.offsets.length);
    for (const group of [1, 6]) {
      const traceCv = cv(traceCounts, group);
      const replayCv = cv(offered(replay), group);
      // Measured: 0.27 (10 s) and 0.23 (1 min) for both, against 0.10-0.12 and 0.04-0.05 for Poisson.
      expect(Math.abs(replayCv - traceCv)).toBeLessThan(0.05 * traceCv);
      for (const p of poissons) expect(cv(offered(p), group)).toBeLessThan(traceCv / (group === 1 ? 1.8 : 3));
    }
  });

  it('costs the SLOs at the same mean rate: the trace collapses the 2-replica pool, Poisson passes', () => {
    // Measured: trace p99 TTFT 24.1 s and goodput 80%; Poisson 1.7-1.9 s and 99.2-99.5% (seeds 1-5).
    expect(replay.pass).toBe(false);
    expect(replay.latency.ttft.p99!).toBeGreaterThan(15_000);
    expect(replay.requests.goodputShare).toBeLessThan(0.88);
    for (const p of poissons) {
      expect(p.pass).toBe(true);
      expect(Math.abs(p.requests.offered - replay.requests.offered)).toBeLessThan(
        0.03 * replay.requests.offered,
      );
      expect(p.latency.ttft.p99! * 5).toBeLessThan(replay.latency.ttft.p99!);
      expect(p.requests.goodputShare).toBeGreaterThan(replay.requests.goodputShare + 0.15);
      // The Poisson variant's sizes match the trace's means (gamma with the trace's mean and CV).
      expect(p.cost.inputTokens / p.requests.completed).toBeGreaterThan(0.95 * trace.meanPrompt);
      expect(p.cost.inputTokens / p.requests.completed).toBeLessThan(1.05 * trace.meanPrompt);
    }
  });

  it('takes prompt and output sizes from the trace records', () => {
    expect(replay.requests.completed).toBe(trace.offsets.length);
    expect(replay.cost.inputTokens / replay.requests.completed).toBeCloseTo(trace.meanPrompt, 1);
    expect(replay.cost.outputTokens / replay.requests.completed).toBeCloseTo(trace.meanOutput, 1);
  });

  it('passes with a third replica', async () => {
    const three = await simulate(
      await loadScenarioFile(FILE, { overrides: [{ path: 'providers[0].replicas', value: 3 }] }),
    );
    // Measured: p99 TTFT 1.36 s, goodput 99.8%.
    expect(three.pass).toBe(true);
    expect(three.latency.ttft.p99!).toBeLessThan(2_000);
  });
});
