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
  | 'FG_EMULATOR_LISTEN'
  | 'FG_CONFIG_INVALID';

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
