/**
 * Per-request samples (src/metrics/request-samples.ts) as a file: CSV with a header row, or JSON
 * Lines (one object per line), chosen by the file's extension.
 */
import { UsageError } from '../errors.ts';
import { type RequestSample, SAMPLE_FIELDS } from '../metrics/request-samples.ts';
import { shorten } from '../text/quote.ts';
import { csvText } from './csv.ts';

export type SamplesFormat = 'csv' | 'jsonl';

/** The format a samples file is written in, from its extension (`.csv`, `.jsonl` or `.ndjson`). */
export function samplesFormatOf(file: string): SamplesFormat {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  throw new UsageError(
    `--samples ${shorten(file)}: expected a file ending in .csv or .jsonl (the extension picks the format)`,
  );
}

/** Numbers rounded to microseconds (times) or 1e-9 (costs), so files stay short and stable. */
function tidy(s: RequestSample): RequestSample {
  const r = (v: number | null, d: number) => (v === null ? null : Math.round(v * 10 ** d) / 10 ** d);
  return {
    ...s,
    arrivalMs: r(s.arrivalMs, 3)!,
    endMs: r(s.endMs, 3)!,
    ttftMs: r(s.ttftMs, 3),
    e2eMs: r(s.e2eMs, 3),
    tpotMs: r(s.tpotMs, 3),
    queueWaitMs: r(s.queueWaitMs, 3),
    costUsd: r(s.costUsd, 9)!,
  };
}

/** The samples as the text of a `format` file. */
export function samplesText(samples: readonly RequestSample[], format: SamplesFormat): string {
  const rows = samples.map(tidy);
  if (format === 'jsonl') return rows.map((s) => `${JSON.stringify(s)}\n`).join('');
  return csvText([SAMPLE_FIELDS, ...rows.map((s) => SAMPLE_FIELDS.map((k) => s[k]))]);
}
