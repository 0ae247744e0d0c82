/**
 * The export flags of `floodgate run` (docs/guide/exports.md): `--csv`, `--openmetrics` (with
 * `--openmetrics-start`), `--junit`, and opt-in per-request samples (`--samples`,
 * `--samples-limit`). One place declares them, checks them before the run, and writes the files
 * atomically after it, so `run.ts` only calls in.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { runJunit, runOpenMetrics, samplesFormatOf, samplesText, timeSeriesCsv } from '../export/index.ts';
import { MAX_SAMPLES, type RequestSample } from '../metrics/request-samples.ts';
import type { RunResult } from '../metrics/result-types.ts';
import type { SimulateOptions } from '../simulator/simulate.ts';
import { quoted, shorten } from '../text/quote.ts';
import type { OutputFile } from './output.ts';
import { fmtInt, writeFileAtomic } from './output.ts';

export interface ExportFlags {
  csv?: string;
  openmetrics?: string;
  openmetricsStart?: StartTime;
  junit?: string;
  samples?: string;
  samplesLimit: number;
}

/** Where simulated time 0 goes in OpenMetrics: a Unix time, or `now` (the run ends now). */
export type StartTime = { unixMs: number } | 'now';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `--openmetrics-start`: an ISO 8601 time (`2026-03-01T14:00:00Z`), Unix seconds, or `now`. */
export function parseStartTime(value: string): StartTime {
  const v = value.trim();
  if (v === 'now') return 'now';
  let ms = Number.NaN;
  if (/^\d{1,11}(\.\d{1,3})?$/.test(v)) ms = Number(v) * 1000;
  else if (ISO.test(v)) ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(ms) || ms < 0)
    throw new InvalidArgumentError(
      `expected an ISO 8601 time such as 2026-03-01T14:00:00Z, Unix seconds, or 'now', got ${quoted(value)}`,
    );
  return { unixMs: Math.round(ms) };
}

function samplesLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLES)
    throw new InvalidArgumentError(
      `expected a whole number from 1 to ${fmtInt(MAX_SAMPLES)}, got ${quoted(value)}`,
    );
  return n;
}

/** Adds the export options to a command. */
export function addExportOptions(cmd: Command): Command {
  return cmd
    .option('--csv <file>', 'write the time series as CSV (one row per window)')
    .option(
      '--openmetrics <file>',
      'write the time series as OpenMetrics text with timestamps (promtool backfill)',
    )
    .addOption(
      new Option(
        '--openmetrics-start <time>',
        "Unix time of simulated 0 in --openmetrics: ISO 8601, Unix seconds, or 'now' (the run ends now)",
      )
        .argParser(parseStartTime)
        .default({ unixMs: 0 }, '1970-01-01T00:00:00Z'),
    )
    .option('--junit <file>', 'write the SLO and recovery verdicts as JUnit XML (for CI)')
    .option('--samples <file>', 'write a seeded sample of requests (.csv or .jsonl) for your own analysis')
    .addOption(
      new Option('--samples-limit <n>', 'most requests --samples keeps (reservoir sampling)')
        .argParser(samplesLimit)
        .default(10_000),
    );
}

/** The export files, for checkOutputs (checked before any work). Also checks the samples format. */
export function exportOutputs(o: ExportFlags): (OutputFile | undefined)[] {
  if (o.samples !== undefined) samplesFormatOf(o.samples);
  const out = (flag: string, file: string | undefined) => (file !== undefined ? { flag, file } : undefined);
  return [
    out('--csv', o.csv),
    out('--openmetrics', o.openmetrics),
    out('--junit', o.junit),
    out('--samples', o.samples),
  ];
}

/** What the run keeps for the exports: the simulate option that collects samples, and the samples. */
export function exportCollector(o: ExportFlags): {
  options: Pick<SimulateOptions, 'samples'>;
  collected: { samples: RequestSample[]; seen: number };
} {
  const collected = { samples: [] as RequestSample[], seen: 0 };
  if (o.samples === undefined) return { options: {}, collected };
  return {
    options: {
      samples: {
        limit: o.samplesLimit,
        collect: (samples, seen) => {
          collected.samples = samples;
          collected.seen = seen;
        },
      },
    },
    collected,
  };
}

/** Writes the export files asked for; returns one line per file for the summary. */
export async function writeExports(
  r: RunResult,
  o: ExportFlags,
  collected: { samples: RequestSample[]; seen: number },
): Promise<string[]> {
  const lines: string[] = [];
  if (o.csv) {
    await writeFileAtomic(o.csv, timeSeriesCsv(r));
    lines.push(`time series (CSV) written to ${shorten(o.csv)}`);
  }
  if (o.openmetrics) {
    const start = o.openmetricsStart ?? { unixMs: 0 };
    // The CLI is the one reader of the wall clock: `now` places the run's end at this moment.
    const startUnixMs = start === 'now' ? Math.max(0, Date.now() - r.endMs) : start.unixMs;
    await writeFileAtomic(o.openmetrics, runOpenMetrics(r, { startUnixMs }));
    lines.push(`time series (OpenMetrics) written to ${shorten(o.openmetrics)}`);
  }
  if (o.junit) {
    await writeFileAtomic(o.junit, runJunit(r));
    lines.push(`verdicts (JUnit XML) written to ${shorten(o.junit)}`);
  }
  if (o.samples) {
    await writeFileAtomic(o.samples, samplesText(collected.samples, samplesFormatOf(o.samples)));
    lines.push(
      `${fmtInt(collected.samples.length)} of ${fmtInt(collected.seen)} requests sampled to ${shorten(o.samples)}`,
    );
  }
  return lines;
}
