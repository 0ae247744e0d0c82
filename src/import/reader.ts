/**
 * Reads a parsed gateway config with the checks every importer needs: each accessor either
 * returns a value of the expected type or records a problem (file, line, path, expected, found, a
 * suggestion) and returns undefined, so an import lists every problem, not just the first. Keys the
 * importer does not model become notes, never silently dropped.
 */
import { didYouMean } from '../scenario/suggest.ts';
import { quoted, shorten } from '../text/quote.ts';
import {
  ConfigInvalidError,
  type ConfigPath,
  type ConfigProblem,
  type ConfigText,
  pathText,
} from './config-text.ts';

/** What an import did with a key it did not translate exactly. */
export type NoteKind = 'approximated' | 'not-modelled' | 'unknown';

export interface ImportNote {
  kind: NoteKind;
  /** `targets[0].cache` */
  path: string;
  message: string;
}

export type Json = Record<string, unknown>;

export function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** How a found value is named in messages: its type, and the value when it is short. */
export function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return `a list of ${x.length}`;
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'string') return `the string ${quoted(x)}`;
  return `${typeof x} ${shorten(String(x), 40)}`;
}

export class ConfigReader {
  readonly problems: ConfigProblem[] = [];
  readonly notes: ImportNote[] = [];
  readonly config: ConfigText;
  constructor(config: ConfigText) {
    this.config = config;
  }

  problem(path: ConfigPath, message: string): undefined {
    const pos = this.config.locate(path);
    this.problems.push({
      file: this.config.file,
      path: pathText(path),
      message,
      line: pos?.line,
      column: pos?.column,
    });
    return undefined;
  }

  note(kind: NoteKind, path: ConfigPath, message: string): void {
    this.notes.push({ kind, path: pathText(path), message });
  }

  /** Throws every problem recorded so far. */
  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigInvalidError(this.problems);
  }

  object(x: unknown, path: ConfigPath, hint = ''): Json | undefined {
    if (isObject(x)) return x;
    return this.problem(path, `expected an object, got ${describe(x)}${hint}`);
  }

  list(x: unknown, path: ConfigPath, hint = ''): unknown[] | undefined {
    if (Array.isArray(x)) return x;
    return this.problem(path, `expected a list, got ${describe(x)}${hint}`);
  }

  string(x: unknown, path: ConfigPath): string | undefined {
    if (typeof x === 'string' && x.length > 0) return x;
    return this.problem(path, `expected a non-empty string, got ${describe(x)}`);
  }

  /** A finite number in [min, max] (whole when `integer`). */
  number(
    x: unknown,
    path: ConfigPath,
    o: { min?: number; max?: number; integer?: boolean } = {},
  ): number | undefined {
    const what = `${o.integer ? 'a whole number' : 'a number'}${o.min !== undefined ? ` >= ${o.min}` : ''}${o.max !== undefined ? ` and <= ${o.max}` : ''}`;
    if (typeof x !== 'number' || !Number.isFinite(x))
      return this.problem(path, `expected ${what}, got ${describe(x)}`);
    if (
      (o.integer && !Number.isInteger(x)) ||
      (o.min !== undefined && x < o.min) ||
      (o.max !== undefined && x > o.max)
    )
      return this.problem(path, `expected ${what}, got ${x}`);
    return x;
  }

  boolean(x: unknown, path: ConfigPath): boolean | undefined {
    if (typeof x === 'boolean') return x;
    return this.problem(path, `expected true or false, got ${describe(x)}`);
  }

  /** HTTP status codes: a list of whole numbers from 100 to 599. */
  statusCodes(x: unknown, path: ConfigPath): number[] | undefined {
    const items = this.list(x, path, ' of HTTP status codes, e.g. [429, 503]');
    if (!items) return undefined;
    const out: number[] = [];
    items.forEach((c, i) => {
      const code = this.number(c, [...path, i], { min: 100, max: 599, integer: true });
      if (code !== undefined) out.push(code);
    });
    return out.length === items.length ? out : undefined;
  }

  /** One of `choices`, with a did-you-mean. */
  choice<T extends string>(x: unknown, path: ConfigPath, choices: readonly T[]): T | undefined {
    if (typeof x === 'string' && (choices as readonly string[]).includes(x)) return x as T;
    const found = typeof x === 'string' ? didYouMean(x, choices) : '';
    return this.problem(path, `expected one of ${choices.join(', ')}, got ${describe(x)}${found}`);
  }

  /**
   * Notes every key of `obj` that is neither `modelled` nor listed in `ignored` (with its reason);
   * unknown keys get a did-you-mean against the known ones.
   */
  keys(
    obj: Json,
    path: ConfigPath,
    modelled: readonly string[],
    ignored: Readonly<Record<string, string>>,
  ): void {
    const known = [...modelled, ...Object.keys(ignored)];
    for (const key of Object.keys(obj)) {
      if (modelled.includes(key)) continue;
      const why = Object.hasOwn(ignored, key) ? ignored[key] : undefined;
      if (why !== undefined) this.note('not-modelled', [...path, key], why);
      else
        this.note(
          'unknown',
          [...path, key],
          `not a key Floodgate knows here; left out of the scenario${didYouMean(key, known)}`,
        );
    }
  }
}
