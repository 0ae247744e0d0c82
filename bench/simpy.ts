/**
 * SimPy 2 (Debian's python3-simpy, classic API) on the same M/M/8 model: runs bench/simpy_mmc.py
 * under /usr/bin/python3 and times the process. Skipped, with how to install it, when SimPy does not
 * import.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { note, REPO_ROOT, runTimed } from './common.ts';

export const PYTHON = process.env['BENCH_PYTHON'] ?? '/usr/bin/python3';
const SCRIPT = join(REPO_ROOT, 'bench', 'simpy_mmc.py');

export interface SimpySample {
  /** Spawn to exit of the python process (interpreter start and SimPy import included). */
  wallMs: number;
  /** simulate() alone, as the script measures it. */
  simWallMs: number;
  completed: number;
  meanWaitMs: number;
}

export type SimpyBench =
  | { skipped: true; reason: string; install: string }
  | {
      skipped: false;
      version: string;
      arrivals: number;
      samples: SimpySample[];
      best: SimpySample;
      /** Arrivals per second of process wall time, best run. */
      arrivalsPerSec: number;
    };

const INSTALL = 'apt-get install python3-simpy (SimPy 2.x for /usr/bin/python3)';

export async function benchSimpy(arrivals: number, runs: number): Promise<SimpyBench> {
  if (!existsSync(PYTHON)) return { skipped: true, reason: `${PYTHON} not found`, install: INSTALL };
  const probe = await runTimed(PYTHON, ['-c', 'import SimPy, SimPy.Simulation; print(SimPy.__version__)']);
  if (probe.code !== 0) {
    const last = probe.stderr.trim().split('\n').at(-1) || `exit ${probe.code}`;
    return { skipped: true, reason: `${PYTHON} cannot import SimPy (${last})`, install: INSTALL };
  }
  const version = probe.stdout.trim();
  if (!version.startsWith('2.')) {
    return {
      skipped: true,
      reason: `SimPy ${version} found; bench/simpy_mmc.py uses the SimPy 2 classic API`,
      install: INSTALL,
    };
  }
  const samples: SimpySample[] = [];
  for (let i = 0; i < runs; i++) {
    note(`SimPy ${version} M/M/8, ${arrivals} arrivals (${i + 1}/${runs})`);
    const p = await runTimed(PYTHON, [SCRIPT, String(arrivals), '7']);
    if (p.code !== 0) throw new Error(`bench/simpy_mmc.py exited ${p.code}:\n${p.stderr}`);
    const r = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as {
      completed: number;
      wallSec: number;
      meanWaitSec: number;
    };
    samples.push({
      wallMs: p.wallMs,
      simWallMs: r.wallSec * 1000,
      completed: r.completed,
      meanWaitMs: r.meanWaitSec * 1000,
    });
  }
  const best = samples.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  return {
    skipped: false,
    version,
    arrivals,
    samples,
    best,
    arrivalsPerSec: arrivals / (best.wallMs / 1000),
  };
}
