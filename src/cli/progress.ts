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

/**
 * One progress line of a batch of runs: `compare shard 2/4: 12/40 runs (30%), 35 s, about 1.4 min
 * left`. The estimate assumes the remaining runs take as long as the finished ones did.
 */
export function batchProgressLine(label: string, done: number, total: number, elapsedMs: number): string {
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  const left = done > 0 && done < total ? (elapsedMs / done) * (total - done) : null;
  return `${label}: ${done}/${total} runs (${pct}%), ${fmtMs(elapsedMs)}${left !== null ? `, about ${fmtMs(left)} left` : ''}`;
}

/**
 * Progress of a batch of runs (compare, sweep, a shard): the line above, redrawn on a terminal,
 * elsewhere at every tenth of the runs. `onLine` also hears every update (a shard's progress file).
 */
export function jobProgress(
  label: string,
  quiet: boolean | undefined,
  onUpdate?: (done: number, total: number, elapsedMs: number) => void,
) {
  const tty = Boolean(process.stderr.isTTY);
  const started = performance.now();
  return (done: number, total: number): void => {
    const elapsed = performance.now() - started;
    onUpdate?.(done, total, elapsed);
    if (quiet || done === 0) return;
    const line = batchProgressLine(shorten(label, 60), done, total, elapsed);
    if (tty) process.stderr.write(`\r${line}\x1b[K${done === total ? '\r\x1b[K' : ''}`);
    else if (done === total || done % Math.max(1, Math.ceil(total / 10)) === 0)
      process.stderr.write(`${line}\n`);
  };
}
