/**
 * The run's time series as CSV (RFC 4180): one row per window, one column per series, counts per
 * window (not rates) and gauges sampled at the window's end, exactly the result JSON's
 * `timeseries` block flattened. Empty cells are windows without a value (a percentile of a
 * window nobody completed in).
 *
 * Example (quickstart, 1 s windows):
 *   start_ms,end_ms,offered,admitted,completed,goodput,...,provider.fast-api.attempts,...,class.tab.ttft_p99_ms
 *   0,1000,41,41,38,38,...,22,...,512.3
 */
import type { RunResult } from '../metrics/result-types.ts';

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvField(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Lines of fields joined as CSV, CRLF-free (one `\n` per row, as most tools read). */
export function csvText(rows: readonly (readonly (string | number | boolean | null)[])[]): string {
  return `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

type Column = [name: string, values: readonly (number | null)[] | undefined];

/** The columns of the time-series CSV, in order (overall, then per provider, then per class). */
export function timeSeriesColumns(r: RunResult): Column[] {
  const ts = r.timeseries;
  const cols: Column[] = [
    ['offered', ts.offered],
    ['admitted', ts.admitted],
    ['completed', ts.completed],
    ['goodput', ts.goodput],
    ['attempts', ts.attempts],
    ['shed', ts.shed],
    ['rate_limited', ts.rateLimited],
    ['failed', ts.failed],
    ['timed_out', ts.timedOut],
    ['abandoned', ts.abandoned],
    ['cancelled', ts.cancelled],
    ['cost_usd', ts.costUsd],
    ['gateway_in_flight', ts.gatewayInFlight],
    ['gateway_queued', ts.gatewayQueued],
    ['live_requests', ts.liveRequests],
    ['sessions_in_progress', ts.sessionsInProgress],
  ];
  for (const [name, p] of Object.entries(ts.providers)) {
    cols.push(
      [`provider.${name}.attempts`, p.attempts],
      [`provider.${name}.errors`, p.errors],
      [`provider.${name}.in_service`, p.inService],
      [`provider.${name}.queued`, p.queued],
    );
    if (p.kvUsage) cols.push([`provider.${name}.kv_usage`, p.kvUsage]);
  }
  for (const [name, c] of Object.entries(ts.classes))
    cols.push(
      [`class.${name}.offered`, c.offered],
      [`class.${name}.completed`, c.completed],
      [`class.${name}.goodput`, c.goodput],
      [`class.${name}.goodput_by_arrival`, c.goodputByArrival],
      [`class.${name}.ttft_p50_ms`, c.ttftP50],
      [`class.${name}.ttft_p99_ms`, c.ttftP99],
      [`class.${name}.e2e_p50_ms`, c.e2eP50],
      [`class.${name}.e2e_p99_ms`, c.e2eP99],
    );
  return cols;
}

/** The time series as CSV text (see the file comment). */
export function timeSeriesCsv(r: RunResult): string {
  const ts = r.timeseries;
  const cols = timeSeriesColumns(r);
  const rows: (string | number | null)[][] = [['start_ms', 'end_ms', ...cols.map((c) => c[0])]];
  for (let i = 0; i < ts.startMs.length; i++) {
    const start = ts.startMs[i]!;
    rows.push([start, start + ts.intervalMs, ...cols.map(([, v]) => v?.[i] ?? null)]);
  }
  return csvText(rows);
}
