/**
 * Output helpers for the CLI: printing errors, checking and atomically writing output files, and
 * number formatting for tables.
 */

import { realpathSync, type Stats, statSync, unlinkSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Estimate } from '../compare/stats.ts';
import { FloodgateError, UsageError } from '../errors.ts';
import { fmtFixed2 } from '../report/format.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import { isPolicyPath } from '../simulator/policy-loader.ts';
import { escapeLines, shorten } from '../text/quote.ts';

/** The files a loaded scenario was read from (scenario, traces, policy modules): never outputs. */
export function inputFilesOf(loaded: LoadedScenario): string[] {
  const files = [loaded.file];
  for (const key of loaded.traces.keys()) files.push(resolve(loaded.baseDir, key));
  const g = loaded.scenario.gateway;
  for (const ref of [g.routing, g.admission, g.health])
    if (ref && isPolicyPath(ref.policy)) files.push(resolve(loaded.baseDir, ref.policy));
  return files;
}

/** A known error as the user reads it: `error[FG_CODE]: message` (a hint line after it), escaped. */
export function formatError(e: FloodgateError): string {
  const head = e.code === 'FG_USAGE' ? 'error' : `error[${e.code}]`;
  return escapeLines(`${head}: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
}

/** An output a command will write, with the flag that named it (for messages). */
export interface OutputFile {
  flag: string;
  file: string;
}

/**
 * Refuses, before any work is done, outputs that would overwrite an input (compared by real path
 * and inode, so `./x`, `../dir/x`, symlinks and hard links count), two outputs naming one file, and paths that cannot be
 * written because a parent is a regular file or the path is a directory.
 */
export function checkOutputs(inputs: readonly string[], outputs: readonly (OutputFile | undefined)[]): void {
  const inputPaths = new Map<string, string>();
  // Also by inode: a hard link, or another spelling on a case-insensitive disk, is the same file.
  const inputInodes = new Map<string, string>();
  for (const input of inputs) {
    inputPaths.set(realPathOf(input), input);
    const info = statIfAny(input);
    if (info) inputInodes.set(`${info.dev}:${info.ino}`, input);
  }
  const seen = new Map<string, OutputFile>();
  for (const out of outputs) {
    if (!out) continue;
    if (out.file.trim() === '') throw new UsageError(`${out.flag}: expected a file name, got ''`);
    const real = realPathOf(out.file);
    const existing = statIfAny(out.file);
    const input =
      inputPaths.get(real) ?? (existing ? inputInodes.get(`${existing.dev}:${existing.ino}`) : undefined);
    if (input !== undefined)
      throw new UsageError(
        `${out.flag} ${shorten(out.file)}: this is the input file ${shorten(input)}; refusing to overwrite it`,
      );
    const other = seen.get(real);
    if (other)
      throw new UsageError(
        `${other.flag} ${shorten(other.file)} and ${out.flag} ${shorten(out.file)} name the same file; give each output its own`,
      );
    seen.set(real, out);
    checkWritable(out.file);
  }
}

/** The real path of a file that may not exist yet: its deepest existing ancestor resolved. */
function realPathOf(file: string): string {
  let path = resolve(file);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(path), ...rest);
    } catch {
      const parent = dirname(path);
      if (parent === path) return join(path, ...rest);
      rest.unshift(basename(path));
      path = parent;
    }
  }
}

/** The output is not a directory, and its nearest existing ancestor is a directory. */
function checkWritable(file: string): void {
  const fail = (why: string): never => {
    throw new FloodgateError('FG_OUTPUT_FAILED', `${shorten(file)}: cannot write: ${why}`);
  };
  const target = statIfAny(file);
  if (target?.isDirectory()) fail('it is a directory');
  // Rename would replace a device or FIFO (as root, /dev/stdout itself) with a regular file.
  if (target && !target.isFile())
    fail('expected a regular file or a new path, found a device, FIFO or socket');
  if (/^\/(proc|sys|dev)(\/|$)/.test(realPathOf(file)))
    fail('outputs under /proc, /sys and /dev are refused');
  let dir = dirname(resolve(file));
  for (;;) {
    const info = statIfAny(dir);
    if (info) {
      if (!info.isDirectory()) fail(`'${shorten(dir)}' is not a directory`);
      return;
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** A path's stat, or undefined when nothing is there (or a parent is not a directory). */
function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Temporary files being written, removed if the process is interrupted. */
const pendingTemps = new Set<string>();

function removePendingTemps(): void {
  for (const tmp of pendingTemps) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or gone.
    }
  }
  pendingTemps.clear();
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

function onSignal(signal: keyof typeof SIGNAL_EXIT): void {
  removePendingTemps();
  process.exit(SIGNAL_EXIT[signal]);
}

function trackTemp(tmp: string): void {
  if (pendingTemps.size === 0) for (const s of Object.keys(SIGNAL_EXIT)) process.on(s, onSignal);
  pendingTemps.add(tmp);
}

function untrackTemp(tmp: string): void {
  pendingTemps.delete(tmp);
  if (pendingTemps.size === 0) for (const s of Object.keys(SIGNAL_EXIT)) process.off(s, onSignal);
}

/**
 * Writes `text` to `file` atomically: a hidden temporary file beside it (`.name.<pid>.tmp`), then
 * a rename, so a failed or interrupted run never leaves a half-written result behind. The
 * temporary file is removed on failure and on SIGINT/SIGTERM; the error names the cause.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  checkWritable(file);
  try {
    await mkdir(dirname(file), { recursive: true });
    trackTemp(tmp);
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    // Cleaning up must never hide why the write failed.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new FloodgateError(
      'FG_OUTPUT_FAILED',
      `${shorten(file)}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  } finally {
    untrackTemp(tmp);
  }
}

/** The report's formatters, so a table and an HTML report print a figure the same way. */
export { fmtInt, fmtMs, fmtPct, table } from '../report/format.ts';

export function fmtUsd(x: number): string {
  if (x === 0) return '$0';
  if (x < 0.01) return `$${x.toFixed(5)}`;
  return `$${fmtFixed2(x)}`;
}

/** An estimate as `mean ± half-width` (just the mean for one seed; '-' without data). */
export function fmtEstimate(e: Estimate, fmt: (x: number) => string): string {
  return Number.isFinite(e.mean) ? (e.n > 1 ? `${fmt(e.mean)} ± ${fmt(e.ci95)}` : fmt(e.mean)) : '-';
}
