/**
 * SimPy on the same M/M/8 model, whichever SimPy /usr/bin/python3 has: SimPy 2 (Debian's
 * python3-simpy: `import SimPy`, the classic API, bench/simpy_mmc.py) and SimPy 3 or 4 (Debian's
 * python3-simpy3 or `pip install simpy`: `import simpy`, the Environment API, bench/simpy3_mmc.py).
 * Each one found runs and is timed as a process; the comparison uses the fastest, so the ratio is
 * the one least in floodgate's favour. Skipped, with how to install it, when neither imports.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { note, REPO_ROOT, runTimed } from './common.ts';

export const PYTHON = process.env['BENCH_PYTHON'] ?? '/usr/bin/python3';

export interface SimpySample {
  /** Spawn to exit of the python process (interpreter start and SimPy import included). */
  wallMs: number;
  /** The simulation alone, as the script measures it. */
  simWallMs: number;
  completed: number;
  meanWaitMs: number;
}

export interface SimpyRun {
  version: string;
  /** Which API the script used: "classic (SimPy 2)" or "Environment (SimPy 3/4)". */
  api: string;
  script: string;
  arrivals: number;
  samples: SimpySample[];
  best: SimpySample;
  /** Arrivals per second of process wall time, best run. */
  arrivalsPerSec: number;
}

export type SimpyBench =
  | { skipped: true; reason: string; install: string }
  | (SimpyRun & {
      skipped: false /** Every SimPy found, fastest first (the fields above are its). */;
      all: SimpyRun[];
    });

const INSTALL =
  'apt-get install python3-simpy (SimPy 2) or python3-simpy3 (SimPy 3), or pip install simpy (SimPy 4), for /usr/bin/python3';

/** The SimPy APIs the bench knows: the module to import and the script that uses it. */
const FLAVOURS = [
  {
    module: 'SimPy',
    api: 'classic (SimPy 2)',
    script: 'simpy_mmc.py',
    major: (v: string) => v.startsWith('2.'),
  },
  {
    module: 'simpy',
    api: 'Environment (SimPy 3/4)',
    script: 'simpy3_mmc.py',
    major: (v: string) => /^[34]\./.test(v),
  },
] as const;

export async function benchSimpy(arrivals: number, runs: number): Promise<SimpyBench> {
  if (!existsSync(PYTHON)) return { skipped: true, reason: `${PYTHON} not found`, install: INSTALL };
  const found: SimpyRun[] = [];
  const misses: string[] = [];
  for (const f of FLAVOURS) {
    const probe = await runTimed(PYTHON, ['-c', `import ${f.module}; print(${f.module}.__version__)`]);
    if (probe.code !== 0) {
      misses.push(`no ${f.module} (${probe.stderr.trim().split('\n').at(-1) || `exit ${probe.code}`})`);
      continue;
    }
    const version = probe.stdout.trim();
    if (!f.major(version)) {
      misses.push(`${f.module} ${version}: not a version bench/${f.script} knows`);
      continue;
    }
    found.push(await runFlavour(version, f.api, f.script, arrivals, runs));
  }
  if (found.length === 0) {
    return { skipped: true, reason: `${PYTHON}: ${misses.join('; ')}`, install: INSTALL };
  }
  found.sort((a, b) => b.arrivalsPerSec - a.arrivalsPerSec);
  return { skipped: false, ...found[0]!, all: found };
}

async function runFlavour(
  version: string,
  api: string,
  script: string,
  arrivals: number,
  runs: number,
): Promise<SimpyRun> {
  const samples: SimpySample[] = [];
  for (let i = 0; i < runs; i++) {
    note(`SimPy ${version} M/M/8, ${arrivals} arrivals (${i + 1}/${runs})`);
    const p = await runTimed(PYTHON, [join(REPO_ROOT, 'bench', script), String(arrivals), '7']);
    if (p.code !== 0) throw new Error(`bench/${script} exited ${p.code}:\n${p.stderr}`);
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
  return { version, api, script, arrivals, samples, best, arrivalsPerSec: arrivals / (best.wallMs / 1000) };
}
