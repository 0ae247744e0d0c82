/**
 * Number formatting shared by the HTML renderer (Node) and the browser-side charts, so a table
 * cell, a tooltip and a test all print a value the same way. Pure functions, no DOM.
 *
 * Example: fmtMs(1372) = '1.37 s', fmtRate(40) = '40.0/s', fmtPct(0.9167) = '91.7%',
 * fmtDuration(250_000) = '4m10s', fmtClock(250_000) = '4:10'.
 */

/** What a plotted number measures; picks its formatter (`fmtValue`). */
export type Unit = 'rps' | 'ms' | 'count' | 'share' | 'ratio' | 'usd' | 'usdPerHour';

/** A count and its noun, singular for exactly one: plural(1, 'class', 'classes') = '1 class', plural(1200, 'request') = '1,200 requests'. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}

/** Whole numbers with thousands separators: 34,663. */
export function fmtInt(n: number): string {
  const r = Math.round(n);
  // Grouped here rather than by toLocaleString, whose first call in a process sets up ICU's number
  // formatting: about 10 ms of every `floodgate run`, for its summary. Same text (a test holds it).
  if (!Number.isSafeInteger(r) || Object.is(r, -0)) return r.toLocaleString('en-US');
  const digits = groupThousands(String(r < 0 ? -r : r));
  return r < 0 ? `-${digits}` : digits;
}

/** A run of decimal digits with a comma every three from the right: 1234567 -> 1,234,567. */
function groupThousands(digits: string): string {
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return out;
}

/**
 * What `x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })`
 * prints, without its first call's ICU set-up (about 15 ms of every `floodgate run`, for the
 * summary's dollar figures). ICU rounds the shortest decimal that reads back as x (String(x)),
 * half away from zero: 1.005 -> 1.01 where toFixed(2) says 1.00. Exponent forms, zeros, negatives and
 * non-finite values are left to toLocaleString.
 */
export function fmtFixed2(x: number): string {
  const s = String(x);
  if (!(x > 0) || !Number.isFinite(x) || s.includes('e')) {
    return x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  const dot = s.indexOf('.');
  const whole = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  let cents = whole + `${frac}00`.slice(0, 2);
  if (frac.length > 2 && frac.charCodeAt(2) >= 53 /* '5' */)
    cents = String(BigInt(cents) + 1n).padStart(3, '0');
  else cents = cents.padStart(3, '0');
  return `${groupThousands(cents.slice(0, -2))}.${cents.slice(-2)}`;
}

/** A fraction as a percentage: 0.9167 -> 91.7%; tiny non-zero shares keep three decimals. */
export function fmtPct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  return `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;
}

/** Milliseconds: 0 ms, 0.42 ms, 12.3 ms, 412 ms, 1.25 s, 3.4 min, 2.0 h. */
export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A stretch of time in words: under a second in ms (0.5 ms, 250 ms), else as written (45s, 1m30s). */
export function fmtElapsed(ms: number): string {
  return ms < 1000 ? fmtMs(ms) : fmtDuration(ms);
}

/**
 * How long after an event something happened, to follow a verb: 'immediately' under a
 * millisecond (the first window after the event was already fine), else 'after 1m30s'.
 */
export function fmtAfter(ms: number): string {
  return ms < 1 ? 'immediately' : `after ${fmtElapsed(ms)}`;
}

/** Requests per second: 0.125/s, 3.25/s, 40.0/s, 1,250/s. */
export function fmtRate(perSec: number | null): string {
  if (perSec === null || !Number.isFinite(perSec)) return '-';
  const a = Math.abs(perSec);
  if (a === 0) return '0/s';
  if (a < 1) return `${perSec.toFixed(3)}/s`;
  if (a < 10) return `${perSec.toFixed(2)}/s`;
  if (a < 1000) return `${perSec.toFixed(1)}/s`;
  return `${fmtInt(perSec)}/s`;
}

/** US dollars: $0, $0.00042, $19.64, $1,234.50. */
export function fmtUsd(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  if (x === 0) return '$0';
  if (Math.abs(x) < 0.01) return `$${x.toPrecision(2)}`;
  return `$${fmtFixed2(x)}`;
}

/** A count that may be fractional after averaging: 12, 3.5, 1,024. */
export function fmtCount(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  if (Number.isInteger(x) || Math.abs(x) >= 100) return fmtInt(x);
  return x.toFixed(Math.abs(x) < 10 ? 2 : 1);
}

/** A value in its unit, as tooltips and tables print it. */
export function fmtValue(unit: Unit, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  switch (unit) {
    case 'rps':
      return fmtRate(v);
    case 'ms':
      return fmtMs(v);
    case 'count':
      return fmtCount(v);
    case 'share':
      return fmtPct(v);
    case 'ratio':
      return `${v.toFixed(2)}x`;
    case 'usd':
      return fmtUsd(v);
    case 'usdPerHour':
      return `${fmtUsd(v)}/h`;
  }
}

/** Short axis labels: fewer digits than `fmtValue`. */
export function fmtAxis(unit: Unit, v: number): string {
  switch (unit) {
    case 'ms':
      if (Math.abs(v) >= 60_000 && v % 60_000 === 0) return `${v / 60_000} min`;
      if (Math.abs(v) >= 1000) return `${trim(v / 1000)} s`;
      return `${trim(v)} ms`;
    case 'share':
      return `${trim(v * 100)}%`;
    case 'ratio':
      return `${trim(v)}x`;
    case 'usd':
    case 'usdPerHour':
      return `$${trim(v)}`;
    default:
      return Math.abs(v) >= 1000 ? `${trim(v / 1000)}k` : trim(v);
  }
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** A duration as a scenario author writes it: 0, 850ms, 45s, 1m30s, 4m10s, 1h30m, 2d. */
export function fmtDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${trim(ms)}ms`;
  let s = Math.round(ms / 1000);
  if (s < 60) return `${trim(ms / 1000)}s`;
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('');
}

/** A point on the run's clock: 4:10 (m:ss), or 1:02:03 (h:mm:ss) from one hour on. */
export function fmtClock(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Rounds to `digits` significant digits (keeps the embedded data short). */
export function sig(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

/** A plain-text table: the first `leftColumns` columns left-aligned, the rest right-aligned. */
export function table(rows: string[][], leftColumns = 1): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}
