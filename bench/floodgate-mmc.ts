/**
 * The whole `floodgate run` process on the M/M/8 contract scenario: spawn the built CLI with a
 * duration override for about `arrivals` requests, time the process from spawn to exit, and read
 * requests.offered and events from the result JSON. The in-process simulation time comes from the
 * summary line ("simulated in X s"), when it parses.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, durationFor, MMC_SCENARIO, median, note, runTimed } from './common.ts';

export interface FloodgateSample {
  /** Spawn to exit of `node bin/floodgate.js run`. */
  wallMs: number;
  /** Simulation alone, as the CLI's summary reports it (scenario load and JSON writing excluded). */
  simWallMs: number | undefined;
  offered: number;
  events: number;
  /** Mean queue wait of the scenario's provider, ms (Erlang C: 876.9 ms). */
  queueWaitMs: number | undefined;
}

export interface FloodgateBench {
  arrivals: number;
  duration: string;
  samples: FloodgateSample[];
  best: FloodgateSample;
  medianWallMs: number;
  /** Simulated requests (offered) per second of process wall time, best run. */
  requestsPerSec: number;
  /** Engine events per second of process wall time, best run. */
  eventsPerSec: number;
  /** Engine events per second of the simulation alone, best run. */
  simEventsPerSec: number | undefined;
}

/** One `floodgate run scenarios/mmc.yaml` process. Exit codes 0 and 3 (an SLO failed) both count. */
export async function runFloodgateOnce(duration: string, extraArgs: string[] = []): Promise<FloodgateSample> {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-bench-'));
  const out = join(dir, 'result.json');
  try {
    const p = await runTimed(process.execPath, [
      ...extraArgs,
      CLI,
      'run',
      MMC_SCENARIO,
      '--set',
      `duration=${duration}`,
      '--quiet',
      '--out',
      out,
    ]);
    if (p.code !== 0 && p.code !== 3) {
      throw new Error(`floodgate run exited ${p.code}:\n${p.stderr || p.stdout}`);
    }
    const result = JSON.parse(await readFile(out, 'utf8')) as {
      events: number;
      requests: { offered: number };
      providers: Record<string, { queueWait?: { mean?: number } }>;
    };
    const m = /simulated in ([\d.]+) s/.exec(p.stdout);
    return {
      wallMs: p.wallMs,
      simWallMs: m ? Number(m[1]) * 1000 : undefined,
      offered: result.requests.offered,
      events: result.events,
      queueWaitMs: result.providers['server']?.queueWait?.mean,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchFloodgate(arrivals: number, runs: number): Promise<FloodgateBench> {
  const duration = durationFor(arrivals);
  const samples: FloodgateSample[] = [];
  for (let i = 0; i < runs; i++) {
    note(`floodgate run mmc.yaml --set duration=${duration} (${i + 1}/${runs})`);
    samples.push(await runFloodgateOnce(duration));
  }
  const best = samples.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  const sims = samples.map((s) => s.simWallMs).filter((x): x is number => x !== undefined);
  const bestSim = sims.length > 0 ? Math.min(...sims) : undefined;
  return {
    arrivals,
    duration,
    samples,
    best,
    medianWallMs: median(samples.map((s) => s.wallMs)),
    requestsPerSec: best.offered / (best.wallMs / 1000),
    eventsPerSec: best.events / (best.wallMs / 1000),
    simEventsPerSec: bestSim !== undefined ? best.events / (bestSim / 1000) : undefined,
  };
}
