/**
 * One comparison job: a scenario run with one policy entry and one seed, reduced to the figures a
 * comparison ranks on. Runs in a worker thread (compare-worker.ts) or in-process.
 */
import type { RunResult } from '../metrics/result.ts';
import { loadScenarioFile } from '../scenario/load.ts';
import type { Override } from '../scenario/overrides.ts';
import { simulate } from '../simulator/simulate.ts';

export interface CompareJob {
  file: string;
  overrides: Override[];
  seed: number;
  /** Index of the policy entry (results are matched back by it). */
  entry: number;
}

/** The figures of one run; latencies in ms (null when no request completed). */
export interface SeedFigures {
  seed: number;
  goodputShare: number;
  goodputPerSec: number;
  shedShare: number;
  errorShare: number;
  amplification: number;
  /** Token costs plus fleet cost, USD. */
  costUsd: number;
  ttftP50: number | null;
  ttftP99: number | null;
  classes: Record<string, { ttftP50: number | null; ttftP99: number | null; goodputShare: number }>;
  slosPassed: number;
  slosTotal: number;
}

export function figuresOf(r: RunResult): SeedFigures {
  return {
    seed: r.seed,
    goodputShare: r.requests.goodputShare,
    goodputPerSec: r.requests.goodputPerSec,
    shedShare: r.requests.shedShare,
    errorShare: r.requests.errorShare,
    amplification: r.requests.amplification,
    costUsd: r.cost.totalUsd + (r.cost.fleetUsd ?? 0),
    ttftP50: r.latency.ttft.p50,
    ttftP99: r.latency.ttft.p99,
    classes: Object.fromEntries(
      Object.entries(r.classes).map(([name, c]) => [
        name,
        { ttftP50: c.latency.ttft.p50, ttftP99: c.latency.ttft.p99, goodputShare: c.requests.goodputShare },
      ]),
    ),
    slosPassed: r.slos.filter((s) => s.pass).length,
    slosTotal: r.slos.length,
  };
}

export async function runJob(job: CompareJob): Promise<SeedFigures> {
  const loaded = await loadScenarioFile(job.file, { overrides: job.overrides });
  return figuresOf(await simulate(loaded, { seed: job.seed }));
}
