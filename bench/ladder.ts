/**
 * The cost ladder: where the M/M/8 run's time goes between the hand-written floor and `floodgate
 * run`. Five loops on the same model and the same number of arrivals, each in its own process:
 *
 *   floor       bench/floor-mmc.ts: two typed arrays, sfc32, a ring buffer
 *   queue       + Floodgate's event queue (ladder-rungs.ts; the floor's draws, the floor's run)
 *   streams     + Floodgate's random streams, distributions and deque
 *   statistics  + a record per request and the statistics the run result reports
 *   floodgate   `floodgate run scenarios/mmc.yaml`: the simulation alone, as its summary prints it
 *
 * Each rung's time is its loop alone (no start-up, no result writing), best of `runs`; the runs go
 * round the rungs in turn, so a machine that slows down part way slows every rung alike. What is
 * left between `statistics` and `floodgate` is the model's layers: the workload, client, gateway,
 * queue provider, and the recorder's bookkeeping beyond the statistics themselves.
 *
 * Standalone: `npx tsx bench/ladder.ts [ARRIVALS] [RUNS]`; `npm run bench` prints it as a section.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  bundleBenchScript,
  durationFor,
  fmtInt,
  fmtMs,
  fmtRatio,
  MMC,
  median,
  note,
  runTimed,
} from './common.ts';
import { runFloodgateOnce } from './floodgate-mmc.ts';
import type { BaselineResult } from './floor-mmc.ts';
import { RUNGS, type RungResult } from './ladder-rungs.ts';

export type LadderStep = 'floor' | (typeof RUNGS)[number] | 'floodgate';

export interface LadderRow {
  step: LadderStep;
  /** What the step adds to the one before it. */
  adds: string;
  bestMs: number;
  medianMs: number;
  /** Best loop time per arrival, ns. */
  nsPerArrival: number;
  /** Best loop time / the floor's best loop time. */
  overFloor: number;
  /** Mean queue wait of the last run, ms (Erlang C: 876.9 ms; `queue` equals `floor` exactly). */
  meanWaitMs: number;
}

export interface Ladder {
  arrivals: number;
  runs: number;
  rows: LadderRow[];
}

const ADDS: Record<LadderStep, string> = {
  floor: 'typed-array heap, sfc32, ring buffer',
  queue: "Floodgate's event queue (handler + payload, handles)",
  streams: 'alea streams, distributions, deque',
  statistics: "a record per request, the result's statistics",
  floodgate: 'the model: workload, client, gateway, provider, recorder',
};

async function runScript(script: string, params: object): Promise<{ wallMs: number; meanWaitMs: number }> {
  const p = await runTimed(process.execPath, [script, JSON.stringify(params)]);
  if (p.code !== 0) throw new Error(`${script} exited ${p.code}:\n${p.stderr}`);
  return JSON.parse(p.stdout) as BaselineResult | RungResult;
}

async function runFloodgateSim(arrivals: number): Promise<{ wallMs: number; meanWaitMs: number }> {
  const sample = await runFloodgateOnce(durationFor(arrivals));
  if (sample.simWallMs === undefined || sample.queueWaitMs === undefined) {
    throw new Error('floodgate run printed no simulation time or queue wait');
  }
  return { wallMs: sample.simWallMs, meanWaitMs: sample.queueWaitMs };
}

export async function benchLadder(arrivals: number, runs: number): Promise<Ladder> {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-ladder-'));
  try {
    const floor = join(dir, 'floor.mjs');
    const rungs = join(dir, 'rungs.mjs');
    await bundleBenchScript('floor-mmc.ts', floor);
    await bundleBenchScript('ladder-rungs.ts', rungs);
    const steps: LadderStep[] = ['floor', ...RUNGS, 'floodgate'];
    const times = new Map<LadderStep, number[]>(steps.map((s) => [s, []]));
    const waits = new Map<LadderStep, number>();
    for (let i = 0; i < runs; i++) {
      note(`cost ladder, round ${i + 1}/${runs}`);
      for (const step of steps) {
        const params = { arrivals, ...MMC };
        const r =
          step === 'floor'
            ? await runScript(floor, params)
            : step === 'floodgate'
              ? await runFloodgateSim(arrivals)
              : await runScript(rungs, { rung: step, ...params });
        times.get(step)!.push(r.wallMs);
        waits.set(step, r.meanWaitMs);
      }
    }
    const floorBest = Math.min(...times.get('floor')!);
    const rows = steps.map((step): LadderRow => {
      const t = times.get(step)!;
      const bestMs = Math.min(...t);
      return {
        step,
        adds: ADDS[step],
        bestMs,
        medianMs: median(t),
        nsPerArrival: (bestMs * 1e6) / arrivals,
        overFloor: bestMs / floorBest,
        meanWaitMs: waits.get(step)!,
      };
    });
    return { arrivals, runs, rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The ladder as table lines: each step, its best loop time, ns per arrival, and its ratio to the floor. */
export function ladderLines(l: Ladder): string[] {
  const w = Math.max(...l.rows.map((r) => r.adds.length));
  return l.rows.map(
    (r) =>
      `${r.step.padEnd(11)} ${r.adds.padEnd(w)}  ${fmtMs(r.bestMs).padStart(7)}  ` +
      `${r.nsPerArrival.toFixed(0).padStart(4)} ns/arrival  ${fmtRatio(r.overFloor).padStart(6)}  ` +
      `wait ${r.meanWaitMs.toFixed(1)} ms`,
  );
}

// Standalone: `npx tsx bench/ladder.ts [ARRIVALS] [RUNS]`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arrivals = Number(process.argv[2] ?? 2_000_000);
  const runs = Number(process.argv[3] ?? 5);
  const l = await benchLadder(arrivals, runs);
  process.stdout.write(
    `cost ladder: M/M/${MMC.servers}, ${fmtInt(arrivals)} arrivals, best loop of ${runs}\n`,
  );
  for (const s of ladderLines(l)) process.stdout.write(`  ${s}\n`);
}
