/**
 * `npm run bench`: the performance figures of the M/M/8 contract scenario (scenarios/mmc.yaml),
 * printed with their ratios to the targets. Reports, never asserts: a slow machine prints
 * slow numbers and still exits 0. Results also go to reports/bench-latest.json.
 *
 *   1. baseline: a minimal typed-array event loop for the same queue (bench/baseline-mmc.ts)
 *   2. floodgate: the whole `floodgate run` process at BENCH_ARRIVALS arrivals (target <= 3x baseline)
 *   3. SimPy 2 on the same model at BENCH_SIMPY_ARRIVALS arrivals (target: floodgate >= 15x faster)
 *   4. peak RSS at BENCH_ARRIVALS / 10 and BENCH_ARRIVALS arrivals (memory flat in run length)
 *   5. a GPU pool: 16 x Llama-3.1-8B on H100, 1 h at 200 req/s (target >= 500x real time)
 *   6. a Cursor-scale day (scenarios/cursor-day.yaml, ~24M requests): wall time and peak RSS
 *
 * Environment: BENCH_ARRIVALS (2000000), BENCH_RUNS (3 floodgate runs), BENCH_SIMPY_ARRIVALS
 * (200000), BENCH_SIMPY_RUNS (2), BENCH_PYTHON (/usr/bin/python3), BENCH_RSS=wrapper,
 * BENCH_CURSOR_DURATION (24h; `skip` leaves the day out).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchBaseline } from './baseline-mmc.ts';
import { envInt, fmtInt, fmtMb, fmtMs, fmtRate, fmtRatio, MMC, median, REPO_ROOT } from './common.ts';
import { benchCursorDay, type CursorDayBench } from './cursor-day.ts';
import { benchFloodgate } from './floodgate-mmc.ts';
import { benchGpuPool } from './gpu-pool.ts';
import { benchMemory } from './memory.ts';
import { benchSimpy } from './simpy.ts';

const TARGET_VS_BASELINE = 3;
const TARGET_VS_SIMPY = 15;

const arrivals = envInt('BENCH_ARRIVALS', 2_000_000);
const runs = envInt('BENCH_RUNS', 3);
const simpyArrivals = envInt('BENCH_SIMPY_ARRIVALS', 200_000);
const simpyRuns = envInt('BENCH_SIMPY_RUNS', 2);
const memoryShort = Math.max(1, Math.round(arrivals / 10));
const cursorDuration = process.env['BENCH_CURSOR_DURATION'] ?? '24h';

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function section(title: string): void {
  process.stdout.write(`\n== ${title}\n`);
}

function line(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(42)} ${value}\n`);
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

// 1. Baseline.
section(`1. baseline: hand-written typed-array event loop, ${fmtInt(arrivals)} arrivals`);
const baseline = benchBaseline(arrivals, 5);
line('events', fmtInt(baseline.best.events));
line('wall time best / median (5 runs)', `${fmtMs(baseline.best.wallMs)} / ${fmtMs(baseline.medianWallMs)}`);
line('events/s (best)', fmtRate(baseline.best.eventsPerSec));
line('mean queue wait (Erlang C 876.9 ms)', `${baseline.best.meanWaitMs.toFixed(1)} ms`);

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
  `ratio to baseline wall (target <= ${TARGET_VS_BASELINE}x)`,
  `${fmtRatio(ratioBest)} best, ${fmtRatio(ratioMedian)} median`,
);

// 3. SimPy.
section(`3. SimPy on the same model, ${fmtInt(simpyArrivals)} arrivals`);
const simpy = await benchSimpy(simpyArrivals, simpyRuns);
let simpyRatio: number | undefined;
if (simpy.skipped) {
  line('skipped', simpy.reason);
  line('to include it', simpy.install);
} else {
  simpyRatio = fg.requestsPerSec / simpy.arrivalsPerSec;
  line('SimPy version', simpy.version);
  line(
    `process wall best (${simpyRuns} runs)`,
    `${fmtMs(simpy.best.wallMs)} (simulate() alone ${fmtMs(simpy.best.simWallMs)})`,
  );
  line('arrivals/s (process)', fmtRate(simpy.arrivalsPerSec));
  line('mean queue wait (Erlang C 876.9 ms)', `${simpy.best.meanWaitMs.toFixed(1)} ms`);
  line(`floodgate / SimPy speed (target >= ${TARGET_VS_SIMPY}x)`, fmtRatio(simpyRatio));
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
section('5. GPU pool: 16 x Llama-3.1-8B on H100, 1 h at 200 req/s, whole process');
const gpu = await benchGpuPool();
line(
  'requests offered / events / iterations',
  `${fmtInt(gpu.offered)} / ${fmtInt(gpu.events)} / ${fmtInt(gpu.iterations)}`,
);
line('process wall', fmtMs(gpu.wallMs));
line('simulated seconds per wall second (target >= 500x)', fmtRatio(gpu.speedup));
line('simulated requests/s', fmtRate(gpu.requestsPerSec));

// 6. The Cursor-scale day.
let day: CursorDayBench | undefined;
if (cursorDuration !== 'skip') {
  section(`6. a Cursor-scale day: scenarios/cursor-day.yaml, ${cursorDuration} simulated, whole process`);
  day = await benchCursorDay(cursorDuration);
  line('requests offered / agent sessions', `${fmtInt(day.offered)} / ${fmtInt(day.sessions)}`);
  line('events', fmtInt(day.events));
  line('process wall', fmtMs(day.wallMs));
  line(`peak RSS (${day.method})`, fmtMb(day.peakRssKb));
  line('simulated requests/s / events/s', `${fmtRate(day.requestsPerSec)} / ${fmtRate(day.eventsPerSec)}`);
  line('simulated seconds per wall second', fmtRatio(day.speedup));
  line('SLOs', day.pass ? 'all pass' : 'some fail (see floodgate run)');
}

const totalMs = performance.now() - started;

// Summary table.
const rows: [string, string, string][] = [
  ['baseline events/s', fmtRate(baseline.best.eventsPerSec), `${fmtMs(baseline.best.wallMs)} wall`],
  ['floodgate process wall', fmtMs(fg.best.wallMs), `median ${fmtMs(fg.medianWallMs)}`],
  ['floodgate events/s', fmtRate(fg.eventsPerSec), `${fmtRate(fg.requestsPerSec)} requests/s`],
  ['floodgate / baseline wall', fmtRatio(ratioBest), `target <= ${TARGET_VS_BASELINE}x`],
  [
    'floodgate / SimPy speed',
    simpyRatio !== undefined ? fmtRatio(simpyRatio) : 'skipped',
    `target >= ${TARGET_VS_SIMPY}x`,
  ],
  ['peak RSS 1x / 10x', `${fmtMb(mem.short.peakRssKb)} / ${fmtMb(mem.long.peakRssKb)}`, fmtRatio(mem.ratio)],
  [
    'GPU pool real-time factor',
    fmtRatio(gpu.speedup),
    `${fmtRate(gpu.requestsPerSec)} requests/s, target >= 500x`,
  ],
  ...(day
    ? [
        [
          'Cursor-scale day wall / peak RSS',
          `${fmtMs(day.wallMs)} / ${fmtMb(day.peakRssKb)}`,
          `${fmtInt(day.offered)} requests, ${fmtRatio(day.speedup)} real time`,
        ] as [string, string, string],
      ]
    : []),
];
section(`summary (${fmtMs(totalMs)} total)`);
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
for (const [a, b, c] of rows) process.stdout.write(`  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}\n`);

const report = {
  schema: 'floodgate-bench/1',
  date: new Date().toISOString(),
  commit: gitCommit(),
  machine,
  config: { arrivals, runs, simpyArrivals, simpyRuns, memoryShort },
  targets: { floodgateOverBaselineWall: TARGET_VS_BASELINE, floodgateOverSimpySpeed: TARGET_VS_SIMPY },
  baseline: {
    ...baseline,
    bestEventsPerSec: baseline.best.eventsPerSec,
    medianEventsPerSec: median(baseline.runs.map((r) => r.eventsPerSec)),
  },
  floodgate: { ...fg, ratioToBaselineBest: ratioBest, ratioToBaselineMedian: ratioMedian },
  simpy: simpy.skipped ? simpy : { ...simpy, floodgateSpeedRatio: simpyRatio, sameSizeSimpyRatio },
  memory: mem,
  gpuPool: gpu,
  cursorDay: day ?? 'skipped',
  totalMs,
};
const outFile = join(REPO_ROOT, 'reports', 'bench-latest.json');
await mkdir(join(REPO_ROOT, 'reports'), { recursive: true });
await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nresults written to reports/bench-latest.json\n`);
