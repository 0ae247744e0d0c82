/**
 * The scale benchmark: scenarios/cursor-day.yaml, a whole day of an AI code editor's gateway
 * (~24M tab, chat and agent requests over a 24-replica GPU fleet and hosted APIs), as one
 * `floodgate run` process. Reports wall time, peak RSS, simulated requests and events per second.
 * BENCH_CURSOR_DURATION shortens the day for a quick look (e.g. 2h).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { note, REPO_ROOT } from './common.ts';
import { peakRss, pickMethod, type RssMethod } from './memory.ts';

export const CURSOR_SCENARIO = join(REPO_ROOT, 'scenarios', 'cursor-day.yaml');

export interface CursorDayBench {
  duration: string;
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

export async function benchCursorDay(duration: string): Promise<CursorDayBench> {
  const dir = await mkdtemp(join(tmpdir(), 'floodgate-bench-day-'));
  const out = join(dir, 'result.json');
  try {
    const method = await pickMethod();
    note(`floodgate run scenarios/cursor-day.yaml --set duration=${duration} (${method}); a few minutes`);
    const r = await peakRss(method, [
      'run',
      CURSOR_SCENARIO,
      '--set',
      `duration=${duration}`,
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
