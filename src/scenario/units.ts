/**
 * Unit parsing for scenario values. Each parser takes what YAML gave (a number or a string) and
 * returns `{ value }` in the canonical unit or `{ expected }` describing what would have been
 * accepted, so the schema can say "expected a duration like '250ms' or '5m', got 'fast'".
 *
 * Canonical units: durations in milliseconds, rates in events per second, shares as fractions
 * (0..1), token counts as plain numbers, multipliers as plain numbers.
 */
export type Parsed = { value: number } | { expected: string };

const DURATION_UNITS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_EXPECTED =
  "a duration like '250ms', '1.5s', '5m', '2h', '1h30m' (a bare number is milliseconds)";

/** `250ms`, `1.5s`, `5m`, `2h`, `1d`, `1h30m`, `90` (ms). */
export function parseDuration(input: unknown): Parsed {
  if (typeof input === 'number')
    return Number.isFinite(input) ? { value: input } : { expected: DURATION_EXPECTED };
  if (typeof input !== 'string') return { expected: DURATION_EXPECTED };
  const text = input.trim();
  const parts = text.matchAll(/(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(us|ms|sec|min|s|m|h|d)/gi);
  let total = 0;
  let consumed = '';
  for (const [whole, num, unit] of parts) {
    total += Number(num) * DURATION_UNITS[unit!.toLowerCase()]!;
    consumed += whole;
  }
  if (consumed.length === 0 || consumed.replace(/\s+/g, '') !== text.replace(/\s+/g, '')) {
    if (/^[+-]?\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
    return { expected: DURATION_EXPECTED };
  }
  return { value: total };
}

const DURATION_WITH_UNIT_EXPECTED = "a duration like '250ms', '1.5s', '5m', '2h', '1h30m'";

/**
 * `parseDuration` for YAML, where a bare number is a trap (`attemptTimeout: 20` is 20 ms, not
 * 20 s): any bare number but 0 is refused with both readings offered.
 */
export function parseDurationWithUnit(input: unknown): Parsed {
  const text = typeof input === 'number' ? String(input) : typeof input === 'string' ? input.trim() : '';
  if (text.length <= 24 && /^\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) {
    if (Number(text) === 0) return { value: 0 };
    const shown = typeof input === 'number' ? text : `'${text}'`;
    return { expected: `a duration with a unit, got ${shown}: write ${text}s or ${text}ms` };
  }
  const parsed = parseDuration(input);
  return 'value' in parsed ? parsed : { expected: DURATION_WITH_UNIT_EXPECTED };
}

const SI: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9, b: 1e9, B: 1e9 };
const PER: Record<string, number> = {
  s: 1,
  sec: 1,
  m: 1 / 60,
  min: 1 / 60,
  h: 1 / 3600,
  hr: 1 / 3600,
  d: 1 / 86400,
};
const RATE_EXPECTED =
  "a rate like '7.2/s', '3k/min', '500/h', '10 rps' or '300 rpm' (a bare number is per second)";

/** `7.2/s`, `3k/min`, `500/h`, `10rps`, `300 rpm`, `12` (per second). */
export function parseRate(input: unknown): Parsed {
  if (typeof input === 'number')
    return Number.isFinite(input) ? { value: input } : { expected: RATE_EXPECTED };
  if (typeof input !== 'string') return { expected: RATE_EXPECTED };
  const text = input.trim();
  let m = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kKmMgG]?)\s*\/\s*(s|sec|m|min|h|hr|d)$/.exec(text);
  if (m) return { value: Number(m[1]) * SI[m[2]!]! * PER[m[3]!]! };
  m = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kKmMgG]?)\s*(rps|rpm|rph)$/i.exec(text);
  if (m) {
    const per = { rps: 1, rpm: 1 / 60, rph: 1 / 3600 }[m[3]!.toLowerCase() as 'rps' | 'rpm' | 'rph'];
    return { value: Number(m[1]) * SI[m[2]!]! * per };
  }
  if (/^\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
  return { expected: RATE_EXPECTED };
}

const COUNT_EXPECTED = "a count like 128, '8k', '2M' or '1.5k'";

/** `128`, `8k`, `2M`, `1.5k`, `128k` (token counts, limits). */
export function parseCount(input: unknown): Parsed {
  if (typeof input === 'number')
    return Number.isFinite(input) ? { value: input } : { expected: COUNT_EXPECTED };
  if (typeof input !== 'string') return { expected: COUNT_EXPECTED };
  const m = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kKmMgGbB]?)$/.exec(input.trim().replace(/_/g, ''));
  if (!m) return { expected: COUNT_EXPECTED };
  return { value: Number(m[1]) * SI[m[2]!]! };
}

const SHARE_EXPECTED = "a share like '1%', '0.5%' or a fraction such as 0.01";

/** `1%`, `0.5%`, `0.01` (a fraction). */
export function parseShare(input: unknown): Parsed {
  if (typeof input === 'number')
    return Number.isFinite(input) ? { value: input } : { expected: SHARE_EXPECTED };
  if (typeof input !== 'string') return { expected: SHARE_EXPECTED };
  const text = input.trim();
  const m = /^([+-]?\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (m) return { value: Number(m[1]) / 100 };
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
  return { expected: SHARE_EXPECTED };
}

const MULTIPLIER_EXPECTED = "a multiplier like '3x', '0.5x' or a number";

/** `3x`, `0.5x`, `3`. */
export function parseMultiplier(input: unknown): Parsed {
  if (typeof input === 'number')
    return Number.isFinite(input) ? { value: input } : { expected: MULTIPLIER_EXPECTED };
  if (typeof input !== 'string') return { expected: MULTIPLIER_EXPECTED };
  const m = /^(\d+(?:\.\d+)?)\s*x?$/i.exec(input.trim());
  return m ? { value: Number(m[1]) } : { expected: MULTIPLIER_EXPECTED };
}

const TOKEN_RATE_EXPECTED = "a token rate like '140/s', '8k/min' or a number of tokens per second";
/** Output speeds: `140/s`, `140 tok/s`, `140`. Tokens per second. */
export function parseTokenRate(input: unknown): Parsed {
  if (typeof input === 'string') {
    const r = parseRate(input.replace(/\s*tok(ens)?\s*\//i, '/'));
    return 'value' in r ? r : { expected: TOKEN_RATE_EXPECTED };
  }
  const r = parseRate(input);
  return 'value' in r ? r : { expected: TOKEN_RATE_EXPECTED };
}

/** Formats a duration in ms for people: 0.8 ms, 250 ms, 1.5 s, 5 min, 2 h. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  if (abs < 1) return `${round(ms, 3)} ms`;
  if (abs < 1000) return `${round(ms, abs < 10 ? 2 : abs < 100 ? 1 : 0)} ms`;
  if (abs < 120_000) return `${round(ms / 1000, abs < 10_000 ? 2 : 1)} s`;
  if (abs < 7_200_000) return `${round(ms / 60_000, 1)} min`;
  return `${round(ms / 3_600_000, 1)} h`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
