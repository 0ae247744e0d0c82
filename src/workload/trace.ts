import { FloodgateError } from '../errors.ts';
import { quoted } from '../text/quote.ts';

/**
 * A request trace in memory: arrival offsets (ms from the first record, sorted) and sizes, as
 * typed arrays so a day-long trace stays small. `classes` is set when the trace names a class per
 * record. `blockHashes` is set when records carry the hashes of their prompt's blocks (Mooncake's
 * `hash_ids`, one per 512-token block): every record's hashes in one flat array, record i's at
 * [blockOffsets[i], blockOffsets[i + 1]).
 */
export interface Trace {
  readonly timesMs: Float64Array;
  readonly promptTokens: Float64Array;
  readonly outputTokens: Float64Array;
  readonly classes?: readonly (string | undefined)[];
  readonly blockHashes?: Int32Array;
  readonly blockOffsets?: Uint32Array;
  /** Span from the first to the last record. */
  readonly spanMs: number;
}

const TIME_COLUMNS = ['time_ms', 'time_s', 'timestamp', 'TIMESTAMP'];
const PROMPT_COLUMNS = ['prompt_tokens', 'input_tokens', 'ContextTokens', 'input_length'];
const OUTPUT_COLUMNS = ['output_tokens', 'GeneratedTokens', 'output_length'];
/** Block hashes of the prompt: a JSON array of integers, or in a CSV cell integers separated by spaces, ';' or '|'. */
const HASH_COLUMNS = ['hash_ids', 'block_hashes'];
/** Most hashes one record may carry (a 2M-token prompt in 16-token blocks is 131072). */
const MAX_HASHES_PER_RECORD = 1 << 17;

interface Row {
  t: number;
  p: number;
  o: number;
  c?: string;
  /** Start and count of its hashes in the parse buffer (count -1: none). */
  hs: number;
  hn: number;
}

/** Block hashes gathered while parsing, in file order, in one growing typed array. */
class HashBuffer {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Parses a CSV trace (the Azure LLM inference trace's header TIMESTAMP, ContextTokens,
 * GeneratedTokens, or time_ms/time_s/timestamp, prompt_tokens, output_tokens[, class]).
 * `file` only labels errors.
 */
export function parseCsvTrace(text: string, file: string): Trace {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = (names: string[], what: string) => {
    const i = header.findIndex((h) => names.includes(h));
    if (i < 0)
      throw new FloodgateError(
        'FG_TRACE_INVALID',
        `${file}:1: expected a ${what} column (one of ${names.join(', ')}), got ${describeHeader(header)}`,
      );
    return i;
  };
  const ti = col(TIME_COLUMNS, 'time');
  const pi = col(PROMPT_COLUMNS, 'prompt-token');
  const oi = col(OUTPUT_COLUMNS, 'output-token');
  const ci = header.indexOf('class');
  const hi = header.findIndex((h) => HASH_COLUMNS.includes(h));
  const hashes = new HashBuffer();
  const rows: Row[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const where = `${file}:${n + 1}`;
    const t = parseTime(cells[ti], header[ti]!, where);
    const p = parseTokens(cells[pi], header[pi]!, where);
    const o = parseTokens(cells[oi], header[oi]!, where);
    const hs = hashes.length;
    const hn = hi >= 0 ? parseHashCell(cells[hi] ?? '', header[hi]!, where, hashes) : -1;
    rows.push(ci >= 0 ? { t, p, o, c: cells[ci]?.trim(), hs, hn } : { t, p, o, hs, hn });
  }
  return toTrace(rows, file, hi >= 0 ? hashes : undefined);
}

/** Parses a JSONL trace: one object per line with the same field names (Mooncake's `timestamp` is ms). */
export function parseJsonlTrace(text: string, file: string): Trace {
  const rows: Row[] = [];
  const hashes = new HashBuffer();
  let anyHashes = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    const where = `${file}:${n + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      rec = undefined;
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec))
      throw new FloodgateError(
        'FG_TRACE_INVALID',
        `${where}: expected a JSON object per line, got ${quoted(line)}`,
      );
    const record = rec as Record<string, unknown>;
    const pick = (names: string[], what: string) => {
      const name = names.find((k) => record[k] !== undefined);
      if (!name)
        throw new FloodgateError(
          'FG_TRACE_INVALID',
          `${where}: expected a ${what} field (one of ${names.join(', ')})`,
        );
      return name;
    };
    const tk = pick(TIME_COLUMNS, 'time');
    const t = parseTime(cellText(record[tk]), tk, where);
    const pk = pick(PROMPT_COLUMNS, 'prompt-token');
    const ok = pick(OUTPUT_COLUMNS, 'output-token');
    const hk = HASH_COLUMNS.find((k) => record[k] !== undefined);
    const hs = hashes.length;
    const hn = hk === undefined ? -1 : parseHashArray(record[hk], hk, where, hashes);
    if (hk !== undefined) anyHashes = true;
    const row: Row = {
      t,
      p: parseTokens(cellText(record[pk]), pk, where),
      o: parseTokens(cellText(record[ok]), ok, where),
      hs,
      hn,
    };
    if (typeof record['class'] === 'string') row.c = record['class'];
    rows.push(row);
  }
  return toTrace(rows, file, anyHashes ? hashes : undefined);
}

/** A JSONL field as text: numbers and strings as written, anything else as JSON (never via toString). */
function cellText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/**
 * The header as an error describes it: the cells that look like column names, never the line
 * itself (the file may not be a trace at all, and its first line may be a secret).
 */
function describeHeader(header: readonly string[]): string {
  const names = header.filter((h) => /^[\w .-]{1,40}$/.test(h));
  if (names.length === 0 || names.length < header.length / 2)
    return `a first line that is not a CSV header (${header.length} field${header.length === 1 ? '' : 's'})`;
  const shown = names.slice(0, 12).map((h) => `'${h}'`);
  return `columns ${shown.join(', ')}${names.length > shown.length ? `, ... (${names.length} in all)` : ''}`;
}

function parseTime(cell: string | undefined, column: string, where: string): number {
  const text = (cell ?? '').trim();
  if (column === 'time_ms') return numberOr(text, column, where);
  if (column === 'time_s') {
    const ms = numberOr(text, column, where) * 1000;
    if (!Number.isFinite(ms))
      throw new FloodgateError(
        'FG_TRACE_INVALID',
        `${where}: column ${column}: expected a number of seconds, got ${quoted(text)}`,
      );
    return ms;
  }
  // A numeric timestamp is milliseconds (Mooncake); 400 digits would be Infinity.
  if (/^\d+(\.\d+)?$/.test(text) && Number.isFinite(Number(text))) return Number(text);
  // "2023-11-16 18:15:46.6805900": keep sub-millisecond digits that Date.parse would drop.
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(text);
  if (m) {
    const base = Date.parse(`${m[1]}T${m[2]}Z`);
    if (Number.isFinite(base)) return base + (m[3] ? Number(m[3]) * 1000 : 0);
  }
  throw new FloodgateError(
    'FG_TRACE_INVALID',
    `${where}: column ${column}: expected a timestamp like 2023-11-16 18:15:46.68 or a number of ms, got ${quoted(text)}`,
  );
}

function numberOr(text: string, column: string, where: string): number {
  const v = Number(text);
  if (text === '' || !Number.isFinite(v))
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `${where}: column ${column}: expected a number, got ${quoted(text)}`,
    );
  return v;
}

function parseTokens(cell: string | undefined, column: string, where: string): number {
  const v = numberOr((cell ?? '').trim(), column, where);
  if (v < 0 || !Number.isInteger(v))
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `${where}: column ${column}: expected a whole number of tokens >= 0, got ${quoted(cell ?? '')}`,
    );
  return v;
}

/** One block hash: an integer that fits 32 bits (Mooncake's remapped ids do). */
function parseHash(text: string, label: string, where: string): number {
  const v = Number(text);
  if (text === '' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `${where}: ${label}: expected block hashes as integers between -2147483648 and 2147483647, got ${quoted(text)}`,
    );
  return v;
}

function tooManyHashes(column: string, where: string): FloodgateError {
  return new FloodgateError(
    'FG_TRACE_INVALID',
    `${where}: ${column}: expected at most ${MAX_HASHES_PER_RECORD} block hashes per record; split the prompt into larger blocks`,
  );
}

/** A CSV cell of hashes: `12 13 14`, `12;13;14` or `[12|13|14]`; empty: none. Returns the count. */
function parseHashCell(cell: string, column: string, where: string, out: HashBuffer): number {
  const text = cell.trim().replace(/^\[|\]$/g, '');
  if (text.trim() === '') return 0;
  const parts = text.trim().split(/[\s;|]+/);
  if (parts.length > MAX_HASHES_PER_RECORD) throw tooManyHashes(`column ${column}`, where);
  for (const part of parts) out.push(parseHash(part, `column ${column}`, where));
  return parts.length;
}

/** A JSONL field of hashes: an array of integers. Returns the count. */
function parseHashArray(value: unknown, column: string, where: string, out: HashBuffer): number {
  if (!Array.isArray(value))
    throw new FloodgateError(
      'FG_TRACE_INVALID',
      `${where}: field ${column}: expected an array of integer block hashes, got ${quoted(cellText(value))}`,
    );
  if (value.length > MAX_HASHES_PER_RECORD) throw tooManyHashes(`field ${column}`, where);
  for (const v of value) {
    if (typeof v !== 'number') throw invalidHash(column, where, v);
    out.push(parseHash(String(v), `field ${column}`, where));
  }
  return value.length;
}

function invalidHash(column: string, where: string, v: unknown): FloodgateError {
  return new FloodgateError(
    'FG_TRACE_INVALID',
    `${where}: field ${column}: expected block hashes as integers, got ${quoted(cellText(v))}`,
  );
}

function toTrace(rows: Row[], file: string, hashes?: HashBuffer): Trace {
  if (rows.length === 0)
    throw new FloodgateError('FG_TRACE_INVALID', `${file}: expected at least one record, found none`);
  rows.sort((a, b) => a.t - b.t);
  const t0 = rows[0]!.t;
  const n = rows.length;
  const timesMs = new Float64Array(n);
  const promptTokens = new Float64Array(n);
  const outputTokens = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    timesMs[i] = r.t - t0;
    promptTokens[i] = r.p;
    outputTokens[i] = r.o;
  }
  const hasClasses = rows.some((r) => r.c !== undefined);
  return {
    timesMs,
    promptTokens,
    outputTokens,
    spanMs: timesMs[n - 1]!,
    ...(hasClasses ? { classes: rows.map((r) => r.c) } : {}),
    ...(hashes ? sortedHashes(rows, hashes) : {}),
  };
}

/** The rows' hashes (rows now in time order) copied into one flat array with offsets. */
function sortedHashes(
  rows: readonly Row[],
  buffer: HashBuffer,
): { blockHashes: Int32Array; blockOffsets: Uint32Array } {
  const blockHashes = new Int32Array(buffer.length);
  const blockOffsets = new Uint32Array(rows.length + 1);
  let w = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    blockOffsets[i] = w;
    if (r.hn > 0) {
      blockHashes.set(buffer.data.subarray(r.hs, r.hs + r.hn), w);
      w += r.hn;
    }
  }
  blockOffsets[rows.length] = w;
  return { blockHashes, blockOffsets };
}
