/**
 * `npm run bench`: the performance figures of issue 13, each as a ratio to the hand-written
 * typed-array floor (bench/floor-mmc.ts, as a whole process: the M/M/8 queue at BENCH_ARRIVALS arrivals) measured in
 * the same run, beside its target. Reports, never asserts: a slow machine prints slow numbers,
 * marks the targets it misses and still exits 0. Results also go to reports/bench-latest.json.
 *
 *   1. the floor: a minimal typed-array event loop for the M/M/8 queue of scenarios/mmc.yaml, run
 *      as whole processes (bench/floor-mmc.ts; its loop alone is printed too)
 *   2. floodgate: the whole `floodgate run scenarios/mmc.yaml` process at BENCH_ARRIVALS arrivals
 *      (target <= 2.0x the floor)
 *   2b. the cost ladder (bench/ladder.ts): the M/M/8 loop on a little more of Floodgate at each
 *      rung (event queue, random streams, the result's statistics), up to the simulation itself:
 *      where the distance from the floor to floodgate goes
 *   3. SimPy on the same model at BENCH_SIMPY_ARRIVALS arrivals (target: floodgate >= 30x faster)
 *   4. peak RSS at BENCH_ARRIVALS / 10 and BENCH_ARRIVALS arrivals (memory flat in run length)
 *   5. a GPU pool: 16 x Llama-3.1-8B on H100, 1 h at 200 req/s (target <= 2.5x the floor)
 *   6. the Cursor-scale day (scenarios/cursor-day.yaml, ~24M requests): wall time (target <= 135x
 *      the floor) and peak RSS (target <= 300 MB)
 *   7. the big day: the same day at twice the traffic (~48M requests; target under 2 minutes, peak
 *      RSS flat against the 24M day)
 *
 * The 1-minute load average is sampled before each section; a run that shared the cores with
 * other work says so in its summary (bench/machine-load.ts), since its figures then mean little.
 *
 * Environment: BENCH_ARRIVALS (2000000), BENCH_RUNS (3 runs of floodgate and of the GPU pool),
 * BENCH_SIMPY_ARRIVALS (200000), BENCH_SIMPY_RUNS (2), BENCH_PYTHON (/usr/bin/python3),
 * BENCH_RSS=wrapper, BENCH_CURSOR_DURATION (24h; `skip` leaves the day out), BENCH_BIG_DAY (`skip`
 * leaves the big day out; it runs for BENCH_CURSOR_DURATION too).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchBaseline } from './baseline-mmc.ts';
import { envInt, fmtInt, fmtMb, fmtMs, fmtRate, fmtRatio, MMC, median, REPO_ROOT } from './common.ts';
import { BIG_DAY_SETS, benchCursorDay, type CursorDayBench } from './cursor-day.ts';
import { benchFloodgate } from './floodgate-mmc.ts';
import { benchGpuPool } from './gpu-pool.ts';
import { benchLadder, ladderLines } from './ladder.ts';
import { type LoadSample, loadVerdict } from './machine-load.ts';
import { benchMemory } from './memory.ts';
import { benchSimpy } from './simpy.ts';

/** Issue 13's targets. */
const TARGETS = {
  mmcOverFloor: 2.0,
  overSimpySpeed: 30,
  gpuOverFloor: 2.5,
  dayOverFloor: 135,
  dayPeakRssMb: 300,
  bigDayWallMs: 120_000,
} as const;

const arrivals = envInt('BENCH_ARRIVALS', 2_000_000);
const runs = envInt('BENCH_RUNS', 3);
const simpyArrivals = envInt('BENCH_SIMPY_ARRIVALS', 200_000);
const simpyRuns = envInt('BENCH_SIMPY_RUNS', 2);
const memoryShort = Math.max(1, Math.round(arrivals / 10));
const cursorDuration = process.env['BENCH_CURSOR_DURATION'] ?? '24h';
const bigDay = process.env['BENCH_BIG_DAY'] !== 'skip' && cursorDuration !== 'skip';
/** The GPU and day targets are ratios to the floor at 2M arrivals: judged at that size only. */
const floorIs2M = arrivals === 2_000_000;

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** The 1-minute load average before each section (machine-load.ts: is the machine quiet?). */
const loadSamples: LoadSample[] = [];
function sampleLoad(label: string): void {
  loadSamples.push({ label, load1: loadavg()[0] ?? 0 });
}

function section(title: string): void {
  sampleLoad(title);
  process.stdout.write(`\n== ${title}\n`);
}

function line(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(46)} ${value}\n`);
}

/** One of the targets, as measured in this run. */
interface TargetRow {
  what: string;
  measured: string;
  target: string;
  met: boolean | undefined;
}
const targets: TargetRow[] = [];
function target(what: string, measured: string, targetText: string, met: boolean | undefined): string {
  targets.push({ what, measured, target: targetText, met });
  return `${measured} (target ${targetText}: ${verdict(met)})`;
}
function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? 'met' : 'missed';
}

const started = performance.now();
const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memMb: Math.round(totalmem() / 2 ** 20),
};
process.stdout.write(
  `floodgate bench: M/M/${MMC.servers} (Poisson ${MMC.rate}/s, exponential ${MMC.meanServiceSec} s service), ` +
    `node ${machine.node}, ${machine.cores} x ${machine.cpu}\n`,
);

// 1. The floor, as whole processes (like every other figure here).
section(`1. the floor: hand-written typed-array event loop, ${fmtInt(arrivals)} arrivals, whole process`);
const baseline = await benchBaseline(arrivals, 5);
line('events', fmtInt(baseline.best.loop.events));
line(
  'process wall best / median (5 runs)',
  `${fmtMs(baseline.best.wallMs)} / ${fmtMs(baseline.medianWallMs)}`,
);
line('the loop alone (best)', fmtMs(baseline.bestLoopMs));
line('events/s (the loop alone, best)', fmtRate(baseline.best.loop.eventsPerSec));
line('mean queue wait (Erlang C 876.9 ms)', `${baseline.best.loop.meanWaitMs.toFixed(1)} ms`);

// 2. floodgate run, whole process.
section(`2. floodgate run scenarios/mmc.yaml, ${fmtInt(arrivals)} arrivals, whole process`);
const fg = await benchFloodgate(arrivals, runs);
const ratioBest = fg.best.wallMs / baseline.best.wallMs;
const ratioMedian = fg.medianWallMs / baseline.medianWallMs;
line('duration override', fg.duration);
line('requests offered / events', `${fmtInt(fg.best.offered)} / ${fmtInt(fg.best.events)}`);
line(`process wall best / median (${runs} runs)`, `${fmtMs(fg.best.wallMs)} / ${fmtMs(fg.medianWallMs)}`);
if (fg.best.simWallMs !== undefined) line('simulation alone (best run)', fmtMs(fg.best.simWallMs));
line('simulated requests/s (process)', fmtRate(fg.requestsPerSec));
line('events/s (process)', fmtRate(fg.eventsPerSec));
if (fg.simEventsPerSec !== undefined) line('events/s (simulation alone)', fmtRate(fg.simEventsPerSec));
line(
  'process wall / floor wall',
  target(
    `M/M/8 at ${fmtInt(arrivals)} arrivals / floor`,
    `${fmtRatio(ratioBest)} best, ${fmtRatio(ratioMedian)} median`,
    `<= ${fmtRatio(TARGETS.mmcOverFloor)}`,
    ratioMedian <= TARGETS.mmcOverFloor,
  ),
);

// 2b. Where the distance from the floor goes.
section(
  `2b. the cost ladder: the M/M/8 loop alone on more of Floodgate at each step, ${fmtInt(arrivals)} arrivals`,
);
const ladder = await benchLadder(arrivals, runs);
for (const s of ladderLines(ladder)) process.stdout.write(`  ${s}\n`);

// 3. SimPy.
section(`3. SimPy on the same model, ${fmtInt(simpyArrivals)} arrivals`);
const simpy = await benchSimpy(simpyArrivals, simpyRuns);
let simpyRatio: number | undefined;
if (simpy.skipped) {
  line('skipped', simpy.reason);
  line('to include it', simpy.install);
  target('floodgate / SimPy speed', 'SimPy not installed', `>= ${TARGETS.overSimpySpeed}x`, undefined);
} else {
  for (const run of simpy.all) {
    line(`SimPy ${run.version}, ${run.api}`, `bench/${run.script}`);
    line(
      `  process wall best (${simpyRuns} runs)`,
      `${fmtMs(run.best.wallMs)} (the simulation alone ${fmtMs(run.best.simWallMs)})`,
    );
    line('  arrivals/s (process)', fmtRate(run.arrivalsPerSec));
    line('  mean queue wait (Erlang C 876.9 ms)', `${run.best.meanWaitMs.toFixed(1)} ms`);
  }
  simpyRatio = fg.requestsPerSec / simpy.arrivalsPerSec;
  line(
    `floodgate / SimPy ${simpy.version} speed (the fastest SimPy)`,
    target(
      `floodgate / SimPy ${simpy.version} speed`,
      fmtRatio(simpyRatio),
      `>= ${TARGETS.overSimpySpeed}x`,
      simpyRatio >= TARGETS.overSimpySpeed,
    ),
  );
}

// 4. Memory.
section(`4. peak RSS at ${fmtInt(memoryShort)} and ${fmtInt(memoryShort * 10)} arrivals`);
const mem = await benchMemory(memoryShort, 10);
line('method', mem.method);
line('idle (floodgate --version)', fmtMb(mem.idleRssKb));
line(`1x (${mem.short.duration})`, `${fmtMb(mem.short.peakRssKb)} (wall ${fmtMs(mem.short.wallMs)})`);
line(`10x (${mem.long.duration})`, `${fmtMb(mem.long.peakRssKb)} (wall ${fmtMs(mem.long.wallMs)})`);
line('10x / 1x peak RSS', `${fmtRatio(mem.ratio)} (above idle: ${fmtRatio(mem.ratioAboveIdle)})`);

// Same-size SimPy comparison: the 1x memory run offers as many requests as the SimPy run.
let sameSizeSimpyRatio: number | undefined;
if (!simpy.skipped && mem.short.arrivals === simpy.arrivals) {
  sameSizeSimpyRatio = simpy.best.wallMs / mem.short.wallMs;
  line(
    `floodgate / SimPy at ${fmtInt(simpy.arrivals)} arrivals each`,
    `${fmtRatio(sameSizeSimpyRatio)} (the 1x run: one run, startup not amortized)`,
  );
}

// 5. GPU pool.
section(`5. GPU pool: 16 x Llama-3.1-8B on H100, 1 h at 200 req/s, whole process`);
const gpu = await benchGpuPool(runs);
const gpuRatio = gpu.medianWallMs / baseline.medianWallMs;
line(
  'requests offered / events / iterations',
  `${fmtInt(gpu.offered)} / ${fmtInt(gpu.events)} / ${fmtInt(gpu.iterations)}`,
);
line(`process wall best / median (${runs} runs)`, `${fmtMs(gpu.wallMs)} / ${fmtMs(gpu.medianWallMs)}`);
line(
  'process wall / floor wall (medians)',
  target(
    'GPU pool 1 h / floor',
    `${fmtRatio(gpuRatio)} (best ${fmtRatio(gpu.wallMs / baseline.best.wallMs)})`,
    `<= ${fmtRatio(TARGETS.gpuOverFloor)}`,
    floorIs2M ? gpuRatio <= TARGETS.gpuOverFloor : undefined,
  ),
);
line('simulated seconds per wall second', fmtRatio(gpu.speedup));
line('simulated requests/s', fmtRate(gpu.requestsPerSec));

// 6. The Cursor-scale day, and 7. the same day at twice the traffic.
function printDay(d: CursorDayBench): void {
  line('requests offered / agent sessions', `${fmtInt(d.offered)} / ${fmtInt(d.sessions)}`);
  line('events', fmtInt(d.events));
  line('process wall', fmtMs(d.wallMs));
  line(`peak RSS (${d.method})`, fmtMb(d.peakRssKb));
  line('simulated requests/s / events/s', `${fmtRate(d.requestsPerSec)} / ${fmtRate(d.eventsPerSec)}`);
  line('simulated seconds per wall second', fmtRatio(d.speedup));
  line('SLOs', d.pass ? 'all pass' : 'some fail (see floodgate run)');
}
let day: CursorDayBench | undefined;
let big: CursorDayBench | undefined;
if (cursorDuration !== 'skip') {
  section(`6. the Cursor-scale day: scenarios/cursor-day.yaml, ${cursorDuration} simulated, whole process`);
  day = await benchCursorDay(cursorDuration);
  printDay(day);
  const full = cursorDuration === '24h';
  const dayRatio = day.wallMs / baseline.medianWallMs;
  line(
    'process wall / floor wall (median)',
    target(
      'Cursor-scale day / floor',
      fmtRatio(dayRatio),
      `<= ${TARGETS.dayOverFloor}x`,
      full && floorIs2M ? dayRatio <= TARGETS.dayOverFloor : undefined,
    ),
  );
  line(
    'peak RSS',
    target(
      'Cursor-scale day peak RSS',
      fmtMb(day.peakRssKb),
      `<= ${TARGETS.dayPeakRssMb} MB`,
      full ? day.peakRssKb / 1024 <= TARGETS.dayPeakRssMb : undefined,
    ),
  );
  if (!full) line('note', 'a shortened day: the targets are for 24h, so none is judged');
  else if (!floorIs2M)
    line('note', 'the floor ran at another size than 2M arrivals: the ratio is not judged');
  if (bigDay) {
    section(`7. the big day: the same day at twice the traffic, ${cursorDuration} simulated, whole process`);
    line('overrides', BIG_DAY_SETS.map((x) => `--set '${x}'`).join(' '));
    big = await benchCursorDay(cursorDuration, BIG_DAY_SETS);
    printDay(big);
    line("offered / the 24M day's", fmtRatio(big.offered / day.offered));
    line(
      'process wall',
      target(
        'big day wall',
        fmtMs(big.wallMs),
        '< 2 min',
        full ? big.wallMs < TARGETS.bigDayWallMs : undefined,
      ),
    );
    line(
      "peak RSS / the 24M day's",
      target(
        "big day peak RSS / 24M day's",
        fmtRatio(big.peakRssKb / day.peakRssKb),
        '<= 1.15x (flat)',
        full ? big.peakRssKb / day.peakRssKb <= 1.15 : undefined,
      ),
    );
  }
}

const totalMs = performance.now() - started;
sampleLoad('the end of the bench');
const load = loadVerdict(loadSamples, machine.cores);

// Summary: the targets.
section(`issue 13's targets, ratios to the floor measured in this run (${fmtMs(totalMs)} total)`);
const w0 = Math.max(...targets.map((r) => r.what.length));
const w1 = Math.max(...targets.map((r) => r.measured.length));
const w2 = Math.max(...targets.map((r) => r.target.length));
for (const r of targets) {
  process.stdout.write(
    `  ${r.what.padEnd(w0)}  ${r.measured.padStart(w1)}  ${r.target.padEnd(w2)}  ${verdict(r.met)}\n`,
  );
}
process.stdout.write(
  `  (floor: ${fmtMs(baseline.best.wallMs)} best, ${fmtMs(baseline.medianWallMs)} median; ` +
    `peak RSS at 1x / 10x the M/M/8 run: ${fmtMb(mem.short.peakRssKb)} / ${fmtMb(mem.long.peakRssKb)})\n`,
);
const peakLoad = load.peak ? `${load.peak.load1.toFixed(2)} (sampled at: ${load.peak.label})` : 'not sampled';
process.stdout.write(
  load.busy
    ? `  MACHINE BUSY: 1-minute load reached ${peakLoad}, above ${load.threshold} on ${machine.cores} cores: ` +
        'other processes shared the cores, so these figures are not comparable with a quiet run; run again when the machine is idle\n'
    : `  machine quiet: 1-minute load at most ${peakLoad} (busy above ${load.threshold} on ${machine.cores} cores)\n`,
);

const report = {
  schema: 'floodgate-bench/1',
  date: new Date().toISOString(),
  commit: gitCommit(),
  machine: { ...machine, load: { ...load, samples: loadSamples } },
  config: { arrivals, runs, simpyArrivals, simpyRuns, memoryShort },
  targets: TARGETS,
  verdicts: targets,
  baseline: {
    ...baseline,
    bestEventsPerSec: baseline.best.loop.eventsPerSec,
    medianEventsPerSec: median(baseline.processes.map((r) => r.loop.eventsPerSec)),
  },
  floodgate: { ...fg, ratioToFloorBest: ratioBest, ratioToFloorMedian: ratioMedian },
  ladder,
  simpy: simpy.skipped ? simpy : { ...simpy, floodgateSpeedRatio: simpyRatio, sameSizeSimpyRatio },
  memory: mem,
  gpuPool: { ...gpu, ratioToFloorMedian: gpuRatio },
  cursorDay: day ?? 'skipped',
  bigDay: big ?? 'skipped',
  totalMs,
};
const outFile = join(REPO_ROOT, 'reports', 'bench-latest.json');
await mkdir(join(REPO_ROOT, 'reports'), { recursive: true });
await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nresults written to reports/bench-latest.json\n`);
