/**
 * User-facing errors, one class per kind, each with a stable `code` that tests match on and a
 * message people read. The library throws them; only the CLI decides how to print and which exit
 * code to use (anything else that escapes is a bug and gets a stack trace).
 */
export type ErrorCode =
  | 'FG_SCENARIO_INVALID'
  | 'FG_SCENARIO_UNREADABLE'
  | 'FG_TRACE_INVALID'
  | 'FG_UNKNOWN_POLICY'
  | 'FG_POLICY_INVALID'
  | 'FG_OVERRIDE_INVALID'
  | 'FG_OUTPUT_FAILED'
  | 'FG_USAGE'
  | 'FG_EMULATOR_LISTEN';

export class FloodgateError extends Error {
  readonly code: ErrorCode;
  /** A short hint at the fix, printed after the message. */
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'FloodgateError';
    this.code = code;
    this.hint = hint;
  }
}

/**
 * A mistake on the command line (a flag's value or syntax, an output path that would overwrite
 * the input): the CLI exits 2, as for the mistakes commander itself catches.
 */
export class UsageError extends FloodgateError {
  constructor(message: string, hint?: string) {
    super('FG_USAGE', message, hint);
    this.name = 'UsageError';
  }
}

/** Codes that mean the command line was wrong rather than the files it names. */
export const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['FG_USAGE', 'FG_OVERRIDE_INVALID']);

/**
 * Input-derived text made safe to print: control characters (terminal escape sequences, newlines,
 * carriage returns) escaped as `\xNN`/`\n`, and anything past `max` characters cut with an ellipsis
 * and the length, so an error never echoes a whole line of someone's file.
 */
export function printable(text: string, max = 80): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(CONTROL, escapeChar);
  return text.length > max ? `${escaped}... (${text.length} characters)` : escaped;
}

/** A short quoted excerpt of input for an error message: `'abc'`, escaped and cut at 40 characters. */
export function excerpt(text: string, max = 40): string {
  return `'${printable(text, max)}'`;
}

/** Escapes control characters except newlines and tabs: for multi-line text printed to a terminal. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_BUT_NEWLINE, escapeChar);
}

// C0 and C1 controls, DEL, the Unicode line/paragraph separators and bidi overrides, and the
// invisible ones (zero-width spaces and joiners, bidi marks, a BOM) that make 'l\ufeffognormal'
// print as 'lognormal'.
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
const CONTROL_BUT_NEWLINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

function escapeChar(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  const code = ch.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One problem in a scenario: where (file, line, YAML path) and what. */
export interface ScenarioProblem {
  file: string;
  /** 1-based line and column when the value came from a YAML file. */
  line?: number;
  column?: number;
  /** `providers[1].rateLimit.rpm` */
  path: string;
  message: string;
}

/** The message lists this many problems and counts the rest (`problems` holds them all). */
export const MAX_PROBLEMS_SHOWN = 20;

/** A scenario that failed validation; `problems` lists every issue found, not just the first. */
export class ScenarioInvalidError extends FloodgateError {
  readonly problems: readonly ScenarioProblem[];
  constructor(problems: readonly ScenarioProblem[]) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map(formatProblem);
    const more = problems.length - shown.length;
    if (more > 0) shown.push(`... and ${more} more problem${more === 1 ? '' : 's'}`);
    super('FG_SCENARIO_INVALID', shown.join('\n'));
    this.problems = problems;
  }
}

export function formatProblem(p: ScenarioProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}: ${p.path || '(top level)'}: ${p.message}`;
}

/** `['providers', 1, 'rateLimit']` -> `providers[1].rateLimit` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
