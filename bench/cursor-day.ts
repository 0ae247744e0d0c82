/**
 * The scale benchmark: scenarios/cursor-day.yaml, a whole day of an AI code editor's gateway
 * (~24M tab, chat and agent requests over a 24-replica GPU fleet and hosted APIs), as one
 * `floodgate run` process. Reports wall time, peak RSS, simulated requests and events per second.
 * BENCH_CURSOR_DURATION shortens the day for a quick look (e.g. 2h).
 *
 * The big day is the same day at twice the traffic (~48M requests): every class's mean rate
 * doubled, and the tab fleet doubled with it, so it runs as near its capacity at 14:00 as the
 * 24M day does (twice the users on the same 24 replicas would lose almost every tab completion to
 * the next keystroke: a different day, not a bigger one). Memory should stay flat: the run keeps
 * windows and histograms, not requests.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { note, REPO_ROOT } from './common.ts';
import { peakRss, pickMethod, type RssMethod } from './memory.ts';

export const CURSOR_SCENARIO = join(REPO_ROOT, 'scenarios', 'cursor-day.yaml');

/** `--set` overrides that turn cursor-day.yaml into the big day (rates from the scenario, x2). */
export const BIG_DAY_SETS = [
  'workload.classes[tab].arrivals.rate=400/s',
  'workload.classes[chat].arrivals.rate=60/s',
  'workload.classes[agent].arrivals.rate=6/s',
  'providers[tab-pool].replicas=48',
] as const;

export interface CursorDayBench {
  duration: string;
  /** `--set` overrides beyond the duration. */
  sets: string[];
  method: RssMethod;
  wallMs: number;
  peakRssKb: number;
  offered: number;
  events: number;
  sessions: number;
  pass: boolean;
  /** Simulated time over wall time. */
  speedup: number;
  requestsPerSec: number;
  eventsPerSec: number;
}

export async function benchCursorDay(
  duration: string,
  sets: readonly string[] = [],
): Promise<CursorDayBench> {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-bench-day-'));
  const out = join(dir, 'result.json');
  try {
    const method = await pickMethod();
    const setArgs = sets.flatMap((s) => ['--set', s]);
    note(
      `floodgate run scenarios/cursor-day.yaml --set duration=${duration}${sets.map((s) => ` --set ${s}`).join('')} ` +
        `(${method}); a few minutes`,
    );
    const r = await peakRss(method, [
      'run',
      CURSOR_SCENARIO,
      '--set',
      `duration=${duration}`,
      ...setArgs,
      '--quiet',
      '--out',
      out,
    ]);
    const result = JSON.parse(await readFile(out, 'utf8')) as {
      endMs: number;
      events: number;
      pass: boolean;
      requests: { offered: number };
      sessions?: { started: number };
    };
    return {
      duration,
      sets: [...sets],
      method,
      wallMs: r.wallMs,
      peakRssKb: r.kb,
      offered: result.requests.offered,
      events: result.events,
      sessions: result.sessions?.started ?? 0,
      pass: result.pass,
      speedup: result.endMs / r.wallMs,
      requestsPerSec: result.requests.offered / (r.wallMs / 1000),
      eventsPerSec: result.events / (r.wallMs / 1000),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
