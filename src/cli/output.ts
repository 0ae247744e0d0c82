/** Output helpers for the CLI: atomic file writes and number formatting for tables. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Estimate } from '../compare/stats.ts';
import { FloodgateError } from '../errors.ts';

/**
 * Writes `text` to `file` atomically: a temporary file beside it, then a rename, so a failed or
 * interrupted run never leaves a half-written result behind.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new FloodgateError(
      'FG_OUTPUT_FAILED',
      `${file}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** The report's formatters, so a table and an HTML report print a figure the same way. */
export { fmtInt, fmtMs, fmtPct, table } from '../report/format.ts';

export function fmtUsd(x: number): string {
  if (x === 0) return '$0';
  if (x < 0.01) return `$${x.toFixed(5)}`;
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** An estimate as `mean ± half-width` (just the mean for one seed; '-' without data). */
export function fmtEstimate(e: Estimate, fmt: (x: number) => string): string {
  return Number.isFinite(e.mean) ? (e.n > 1 ? `${fmt(e.mean)} ± ${fmt(e.ci95)}` : fmt(e.mean)) : '-';
}
