/**
 * Progress on stderr for long runs: nothing for the first 2 s, then on a terminal one line
 * redrawn in place, elsewhere (CI logs) a line every 10 s. The CLI is the only reader of the wall
 * clock; the engine just reports simulated time.
 */

import { shorten } from '../text/quote.ts';
import { fmtInt, fmtMs } from './output.ts';

/** Simulated progress as the run reports it. */
export interface SimProgress {
  simTimeMs: number;
  endMs: number;
  events: number;
}

/**
 * The progress line: share of simulated time done, wall time so far, speed, and the time left at
 * the speed so far (an upper bound when the drain ends early, as it usually does).
 * Example: `quickstart: 40% (4.9 min of 12.2 min simulated, 3.0 s, 251,118 events/s, about 4.5 s left)`.
 */
export function progressLine(label: string, p: SimProgress, elapsedMs: number): string {
  const pct = Math.min(100, (100 * p.simTimeMs) / p.endMs);
  const eta =
    p.simTimeMs > 0 && p.simTimeMs < p.endMs
      ? `, about ${fmtMs((elapsedMs * (p.endMs - p.simTimeMs)) / p.simTimeMs)} left`
      : '';
  return `${label}: ${pct.toFixed(0)}% (${fmtMs(p.simTimeMs)} of ${fmtMs(p.endMs)} simulated, ${(elapsedMs / 1000).toFixed(1)} s, ${fmtInt(p.events / (elapsedMs / 1000))} events/s${eta})`;
}

export function createProgress(name: string, enabled: boolean) {
  const label = shorten(name, 60);
  const started = performance.now();
  const tty = Boolean(process.stderr.isTTY);
  let lastPrint = 0;
  let printed = false;
  return {
    update(p: SimProgress): void {
      if (!enabled) return;
      const now = performance.now();
      const elapsed = now - started;
      if (elapsed < 2000 || now - lastPrint < (tty ? 200 : 10_000)) return;
      lastPrint = now;
      const line = progressLine(label, p, elapsed);
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      printed = true;
    },
    done(): void {
      if (enabled && printed && tty) process.stderr.write('\r\x1b[K');
    },
  };
}

/** Progress of a batch of runs (compare, sweep): `label: done/total runs`, redrawn on a terminal. */
export function jobProgress(label: string, quiet: boolean | undefined) {
  const tty = Boolean(process.stderr.isTTY);
  return (done: number, total: number): void => {
    if (quiet) return;
    if (tty)
      process.stderr.write(`\r${label}: ${done}/${total} runs\x1b[K${done === total ? '\r\x1b[K' : ''}`);
    else if (done === total || done % Math.max(1, Math.ceil(total / 10)) === 0)
      process.stderr.write(`${label}: ${done}/${total} runs\n`);
  };
}
