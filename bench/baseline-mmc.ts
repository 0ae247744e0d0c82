/**
 * The floor the performance figures are ratios to: the hand-written M/M/8 loop of floor-mmc.ts,
 * run as whole processes (spawn to exit), as `floodgate run` is.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleBenchScript, fmtInt, fmtMs, fmtRate, MMC, median, runTimed } from './common.ts';
import type { BaselineResult } from './floor-mmc.ts';

export interface BaselineProcess {
  /** Spawn to exit of `node floor.mjs ARRIVALS`: startup, the loop and exit, like `floodgate run`. */
  wallMs: number;
  /** The loop alone, as the process measured it. */
  loop: BaselineResult;
}

export interface BaselineBench {
  arrivals: number;
  /** One process per run: the floor the ratios use (the guide: whole processes on both sides). */
  processes: BaselineProcess[];
  best: BaselineProcess;
  medianWallMs: number;
  /** The loop alone, best of the runs (no startup): for reference. */
  bestLoopMs: number;
}

/**
 * Runs the floor `runs` times, each as its own process (`node` on this file bundled to plain
 * JavaScript, so no TypeScript loader is timed), and times each from spawn to exit.
 */
export async function benchBaseline(arrivals: number, runs: number): Promise<BaselineBench> {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-floor-'));
  try {
    const script = join(dir, 'floor.mjs');
    await bundleBenchScript('floor-mmc.ts', script);
    const processes: BaselineProcess[] = [];
    for (let i = 0; i < runs; i++) {
      const p = await runTimed(process.execPath, [script, JSON.stringify({ arrivals, ...MMC })]);
      if (p.code !== 0) throw new Error(`the floor exited ${p.code}:\n${p.stderr}`);
      processes.push({ wallMs: p.wallMs, loop: JSON.parse(p.stdout) as BaselineResult });
    }
    const best = processes.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    return {
      arrivals,
      processes,
      best,
      medianWallMs: median(processes.map((r) => r.wallMs)),
      bestLoopMs: Math.min(...processes.map((r) => r.loop.wallMs)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Standalone: `npx tsx bench/baseline-mmc.ts [ARRIVALS]`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arrivals = Number(process.argv[2] ?? 2_000_000);
  const b = await benchBaseline(arrivals, 5);
  for (const r of b.processes) {
    console.log(
      `${fmtInt(r.loop.events)} events: process ${fmtMs(r.wallMs)}, loop ${fmtMs(r.loop.wallMs)} (${fmtRate(r.loop.eventsPerSec)} events/s), mean wait ${r.loop.meanWaitMs.toFixed(1)} ms`,
    );
  }
}
