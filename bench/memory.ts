/**
 * Memory as the run gets longer: peak RSS of `floodgate run scenarios/mmc.yaml` at 1x and 10x the
 * duration. Measured with `/usr/bin/time -v` when it works, else with bench/peak-rss.mjs (the CLI in
 * a child that prints process.resourceUsage().maxRSS at exit). BENCH_RSS=wrapper forces the latter.
 * The RSS of `floodgate --version` (Node, the bundle and its dependencies, no run) is reported too,
 * as the fixed part.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, durationFor, MMC_SCENARIO, note, REPO_ROOT, runTimed } from './common.ts';

const TIME = '/usr/bin/time';
const WRAPPER = join(REPO_ROOT, 'bench', 'peak-rss.mjs');

export type RssMethod = '/usr/bin/time -v' | 'bench/peak-rss.mjs';

export interface RssSample {
  arrivals: number;
  duration: string;
  peakRssKb: number;
  wallMs: number;
}

export interface MemoryBench {
  method: RssMethod;
  /** `floodgate --version`: no scenario, no run. */
  idleRssKb: number;
  short: RssSample;
  long: RssSample;
  /** long / short peak RSS. */
  ratio: number;
  /** (long - idle) / (short - idle): growth of what the run itself holds. */
  ratioAboveIdle: number;
}

export async function pickMethod(): Promise<RssMethod> {
  if (process.env['BENCH_RSS'] === 'wrapper' || !existsSync(TIME)) return 'bench/peak-rss.mjs';
  const probe = await runTimed(TIME, ['-v', 'true']);
  return probe.code === 0 && /Maximum resident set size/.test(probe.stderr)
    ? '/usr/bin/time -v'
    : 'bench/peak-rss.mjs';
}

/** Peak RSS of `node bin/floodgate.js <args>` (or of the wrapper running the same CLI). */
export async function peakRss(method: RssMethod, args: string[]): Promise<{ kb: number; wallMs: number }> {
  const p =
    method === '/usr/bin/time -v'
      ? await runTimed(TIME, ['-v', process.execPath, CLI, ...args])
      : await runTimed(process.execPath, [WRAPPER, ...args]);
  if (p.code !== 0 && p.code !== 3)
    throw new Error(`floodgate ${args.join(' ')} exited ${p.code}:\n${p.stderr}`);
  const m =
    method === '/usr/bin/time -v'
      ? /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(p.stderr)
      : /peak-rss-kb (\d+)\s*$/.exec(p.stderr);
  if (!m) throw new Error(`no peak RSS in the output of ${method}:\n${p.stderr}`);
  return { kb: Number(m[1]), wallMs: p.wallMs };
}

async function sample(method: RssMethod, arrivals: number): Promise<RssSample> {
  const duration = durationFor(arrivals);
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-bench-'));
  try {
    note(`peak RSS of floodgate run mmc.yaml --set duration=${duration} (${method})`);
    const r = await peakRss(method, [
      'run',
      MMC_SCENARIO,
      '--set',
      `duration=${duration}`,
      '--quiet',
      '--out',
      join(dir, 'result.json'),
    ]);
    return { arrivals, duration, peakRssKb: r.kb, wallMs: r.wallMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchMemory(shortArrivals: number, factor = 10): Promise<MemoryBench> {
  const method = await pickMethod();
  const idle = await peakRss(method, ['--version']);
  const short = await sample(method, shortArrivals);
  const long = await sample(method, shortArrivals * factor);
  return {
    method,
    idleRssKb: idle.kb,
    short,
    long,
    ratio: long.peakRssKb / short.peakRssKb,
    ratioAboveIdle: (long.peakRssKb - idle.kb) / Math.max(1, short.peakRssKb - idle.kb),
  };
}
