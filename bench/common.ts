/**
 * Shared pieces of the benchmark suite: the M/M/8 model constants, paths, a timed child-process
 * runner and small statistics and formatting helpers. Benchmarks report numbers; none asserts a
 * timing.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(REPO_ROOT, 'bin', 'floodgate.js');
export const MMC_SCENARIO = join(REPO_ROOT, 'scenarios', 'mmc.yaml');

/** scenarios/mmc.yaml: Poisson 7.2/s into 8 servers with exponential 1 s service, seed 7. */
export const MMC = { rate: 7.2, servers: 8, meanServiceSec: 1, seed: 7 } as const;

/** Duration override (whole seconds) that makes mmc.yaml offer about `arrivals` requests. */
export function durationFor(arrivals: number): string {
  return `${Math.round(arrivals / MMC.rate)}s`;
}

export interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/**
 * Bundles bench/`entry` to plain JavaScript at `outfile`, so a timed `node outfile` process loads
 * no TypeScript loader.
 */
export async function bundleBenchScript(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(REPO_ROOT, 'bench', entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });
}

/** Runs a command to completion, timing it from spawn to exit; never throws on a non-zero exit. */
export function runTimed(cmd: string, args: string[], cwd = REPO_ROOT): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - started }));
  });
}

/** Positive integer from an environment variable, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected a positive integer, got '${raw}'`);
  return n;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function min(xs: readonly number[]): number {
  return Math.min(...xs);
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 -> "1,234,567". */
export function fmtInt(n: number): string {
  return intFmt.format(n);
}

/** Rate with an SI suffix: 10949686 -> "10.95M". */
export function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(1);
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function fmtMb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MB`;
}

export function fmtRatio(x: number): string {
  return `${x.toFixed(2)}x`;
}

/** Prints a progress line for the benchmark in progress (stderr, so stdout stays the report). */
export function note(msg: string): void {
  process.stderr.write(`  .. ${msg}\n`);
}
