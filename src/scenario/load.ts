/**
 * Scenario loading: file -> YAML document -> overrides -> schema -> `LoadedScenario`, with every
 * problem reported at once as file:line:column, YAML path, what was expected and what was found.
 * This module (through read-input.ts) and the CLI are the only places that read files.
 */

import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import {
  FloodgateError,
  formatPath,
  MAX_PROBLEMS_SHOWN,
  ScenarioInvalidError,
  type ScenarioProblem,
} from '../errors.ts';
import { quoted, shorten } from '../text/quote.ts';
import { parseCsvTrace, parseJsonlTrace, type Trace } from '../workload/trace.ts';
import { checkWork, type WorkLimits } from './budget.ts';
import { importUserModule, thrownText } from './load-module.ts';
import { applyOverride, type Override } from './overrides.ts';
import { MAX_SCENARIO_BYTES, MAX_TRACE_BYTES, readInputFile, sizeText } from './read-input.ts';
import { parseScenario, type Scenario, type TraceConfig } from './schema.ts';

export interface LoadedScenario {
  scenario: Scenario;
  /** The scenario file, or '<inline>' for an object. */
  file: string;
  /** Relative paths (traces, policy modules) resolve against this directory. */
  baseDir: string;
  /** Traces referenced by the scenario, keyed by their `file` value. */
  traces: Map<string, Trace>;
}

export interface LoadOptions {
  overrides?: readonly Override[];
  /** Raise (or lower) the work limits a scenario is checked against (see budget.ts). */
  limits?: Partial<WorkLimits>;
}

/**
 * Reads, parses, overrides and validates a scenario file, then loads the traces it names. YAML
 * files are the usual form; a `.ts`/`.js` file whose default export is the scenario object
 * (typed with `defineScenario`) goes through the same schema.
 */
export async function loadScenarioFile(file: string, options: LoadOptions = {}): Promise<LoadedScenario> {
  if (/\.(m?[jt]s)$/.test(file)) {
    const mod = await importUserModule(resolve(file), file, 'FG_SCENARIO_INVALID', 'FG_SCENARIO_UNREADABLE');
    if (mod['default'] === undefined) {
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: expected a default export: export default defineScenario({ ... })`,
      );
    }
    return loadScenarioObject(plainData(mod['default'], file), { ...options, file });
  }
  const text = await readInputFile(file, {
    context: `${file}: cannot read the scenario`,
    code: 'FG_SCENARIO_UNREADABLE',
    maxBytes: MAX_SCENARIO_BYTES,
  });
  return loadScenarioText(text, file, options);
}

/** Values a TS scenario may hold, far above any real one (a YAML file is limited by its size). */
const MAX_MODULE_VALUES = 100_000;

/**
 * A TS scenario's default export copied to plain data (objects, arrays, primitives) before the
 * schema reads it: a getter or proxy trap that throws, or an object that contains itself, is the
 * module's mistake and gets an error naming the file, not a crash.
 */
function plainData(value: unknown, file: string): unknown {
  const fail = (why: string): never => {
    throw new FloodgateError('FG_SCENARIO_INVALID', `${file}: the default export ${why}`);
  };
  const ancestors = new Set<object>();
  let values = 0;
  const copy = (v: unknown, depth: number): unknown => {
    // Shared objects count each time they appear (as YAML aliases do): no exponential expansion.
    if (++values > MAX_MODULE_VALUES)
      fail(`holds more than ${MAX_MODULE_VALUES.toLocaleString('en-US')} values`);
    if (typeof v !== 'object' || v === null) return v;
    if (ancestors.has(v)) fail('contains itself (a cycle), expected plain data');
    if (depth > 64) fail('is nested more than 64 levels deep');
    ancestors.add(v);
    try {
      if (Array.isArray(v)) return v.map((item) => copy(item, depth + 1));
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) out[key] = copy((v as Record<string, unknown>)[key], depth + 1);
      return out;
    } finally {
      ancestors.delete(v);
    }
  };
  try {
    return copy(value, 0);
  } catch (e) {
    if (e instanceof FloodgateError) throw e;
    return fail(`threw while being read: ${thrownText(e)}`);
  }
}

/** Same as `loadScenarioFile` for YAML text already in memory (`file` labels errors and resolves paths). */
export async function loadScenarioText(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<LoadedScenario> {
  if (text.length > MAX_SCENARIO_BYTES)
    throw new ScenarioInvalidError([
      {
        file,
        path: '',
        message: `expected a scenario of at most ${sizeText(MAX_SCENARIO_BYTES)}, got ${sizeText(text.length)}`,
      },
    ]);
  const lineCounter = new LineCounter();
  // uniqueKeys is checked below: the yaml package's own check is quadratic in the keys of a map.
  let doc: ReturnType<typeof parseDocument>;
  const yamlProblems: { pos: number; message: string }[] = [];
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    yamlProblems.push(...doc.errors.map((e) => ({ pos: e.pos[0], message: yamlMessage(e.message) })));
    if (yamlProblems.length === 0) yamlProblems.push(...duplicateKeys(doc.contents));
  } catch (e) {
    // The yaml parser recurses per level: deep or oddly indented nesting overflows the stack.
    if (!(e instanceof RangeError)) throw e;
    throw new ScenarioInvalidError([{ file, path: '', message: `invalid YAML: ${TOO_DEEP}` }]);
  }
  if (yamlProblems.length > 0) {
    throw new ScenarioInvalidError(
      yamlProblems.map((e, i) => {
        // Positions only for the problems the message shows (each costs a scan of the text).
        const pos = i < MAX_PROBLEMS_SHOWN ? lineCounter.linePos(e.pos) : undefined;
        return {
          file,
          path: '',
          message: `invalid YAML: ${shorten(e.message, 200)}`,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        };
      }),
    );
  }
  const locate = (path: readonly PropertyKey[], atKey = false) => {
    if (atKey) {
      // The key itself (its value may sit on another line).
      const parent = doc.getIn(path.slice(0, -1) as unknown[], true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range) return lineCounter.linePos(range[0]);
      }
    }
    // The deepest node that exists along the path (a missing key points at its parent).
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]);
    }
    return undefined;
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package refuses alias bombs ("billion laughs"), unresolved aliases and bad merge
    // keys while converting, by throwing: all of them are mistakes in the file.
    if (!(e instanceof Error)) throw e;
    const bomb = /excessive alias count/i.test(e.message);
    throw new ScenarioInvalidError([
      {
        file,
        path: '',
        message: bomb
          ? `invalid YAML: aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT} per alias); write the repeated values out or use fewer nested aliases`
          : `invalid YAML: ${shorten(e.message.split('\n')[0]!, 200)}`,
      },
    ]);
  }
  const cycle = cyclePath(value);
  if (cycle) {
    const pos = locate(cycle);
    throw new ScenarioInvalidError([
      {
        file,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        path: shorten(formatPath(cycle), 200),
        message:
          'invalid YAML: an alias refers to a node that contains it (a cycle); write the values out instead',
      },
    ]);
  }
  if (!isMap(doc.contents) && !isSeq(doc.contents)) {
    throw new ScenarioInvalidError([
      {
        file,
        path: '',
        message: `expected a mapping with name, duration, providers and workload, got ${show(value)}`,
      },
    ]);
  }
  return loadScenarioObject(value, { ...options, file, locate });
}

const TOO_DEEP = 'nested too deeply to parse; check the indentation';

/** A yaml parser message in the user's terms: its first line, without the library's API names. */
function yamlMessage(message: string): string {
  if (/maximum call stack/i.test(message)) return TOO_DEEP;
  if (/multiple documents/i.test(message))
    return "a scenario is one YAML document, found more than one (remove the second '---' and what follows)";
  return message.split('\n')[0]!;
}

/** Aliases one alias may expand to (the yaml package's default, named here for the message). */
const MAX_ALIAS_COUNT = 100;

/**
 * The path to the first alias that repeats a node it sits in (`&a [*a]`, or `<<: *s` inside the
 * section `s`): the yaml package turns it into a cycle, which no scenario value may hold. Walks
 * without recursion (nesting can be deep) and visits a shared subtree once.
 */
function cyclePath(root: unknown): PropertyKey[] | undefined {
  const onPath = new Set<object>();
  const done = new Set<object>();
  const stack: { node: object; keys: PropertyKey[]; next: number }[] = [];
  const enter = (node: unknown): boolean => {
    if (typeof node !== 'object' || node === null || done.has(node)) return false;
    if (onPath.has(node)) return true;
    onPath.add(node);
    stack.push({ node, keys: Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node), next: 0 });
    return false;
  };
  if (enter(root)) return [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.keys.length) {
      stack.pop();
      onPath.delete(top.node);
      done.add(top.node);
      continue;
    }
    const key = top.keys[top.next++]!;
    if (enter((top.node as Record<PropertyKey, unknown>)[key])) return stack.map((f) => f.keys[f.next - 1]!);
  }
  return undefined;
}

/** Keys repeated within one mapping, each pointing at its second occurrence (one pass per map). */
function duplicateKeys(root: unknown): { pos: number; message: string }[] {
  const found: { pos: number; message: string }[] = [];
  visit(root as Node, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        if (seen.has(key))
          found.push({ pos: pair.key.range?.[0] ?? 0, message: `duplicate key ${show(key)} in one mapping` });
        seen.add(key);
      }
    },
  });
  return found;
}

interface ObjectSource extends LoadOptions {
  file?: string;
  baseDir?: string;
  /** Position of the value at a YAML path (or of the key itself, with atKey). */
  locate?: (path: readonly PropertyKey[], atKey?: boolean) => { line: number; col: number } | undefined;
}

/** Validates a scenario given as an object (a TS scenario, or YAML already parsed). */
export async function loadScenarioObject(input: unknown, source: ObjectSource = {}): Promise<LoadedScenario> {
  const file = source.file ?? '<inline>';
  const scenario = validateScenario(input, source);
  const baseDir = source.baseDir ?? (source.file ? dirname(resolve(source.file)) : process.cwd());
  const traces = new Map<string, Trace>();
  const traceConfigs: { config: TraceConfig; path: string }[] = [];
  if (scenario.workload.arrivals?.trace)
    traceConfigs.push({ config: scenario.workload.arrivals.trace, path: 'workload.arrivals.trace.file' });
  scenario.workload.classes.forEach((c, i) => {
    if (c.arrivals?.trace)
      traceConfigs.push({ config: c.arrivals.trace, path: `workload.classes[${i}].arrivals.trace.file` });
  });
  for (const { config, path } of traceConfigs) {
    if (traces.has(config.file)) continue;
    const tracePath = resolve(baseDir, config.file);
    const text = await readInputFile(tracePath, {
      context: `${file}: ${path}: cannot read trace '${shorten(tracePath, 200)}'`,
      code: 'FG_TRACE_INVALID',
      maxBytes: MAX_TRACE_BYTES,
    });
    traces.set(
      config.file,
      config.format === 'jsonl' ? parseJsonlTrace(text, tracePath) : parseCsvTrace(text, tracePath),
    );
  }
  if (traces.size > 0) checkWork(scenario, file, source.limits, traces);
  return { scenario, file, baseDir, traces };
}

/**
 * Applies overrides and checks `input` against the schema, gathering every problem. Throws
 * `ScenarioInvalidError` (FG_SCENARIO_INVALID); the input is never modified.
 */
export function validateScenario(input: unknown, source: ObjectSource = {}): Scenario {
  const file = source.file ?? '<inline>';
  let raw = input;
  for (const o of source.overrides ?? []) raw = applyOverride(raw, o);
  // YAML (the only source with `locate`) must write durations with a unit.
  const result = parseScenario(raw, { requireDurationUnits: source.locate !== undefined });
  if (result.success) {
    checkWork(result.data, file, source.limits);
    return result.data;
  }
  const overridden = (source.overrides ?? []).map((o) => ({
    dotted: o.path.replace(/\[(\d+)\]/g, '.$1'),
    text: o.path,
  }));
  throw new ScenarioInvalidError(toProblems(result.error.issues, raw, file, source.locate, overridden));
}

/**
 * Problems in issue order, duplicates dropped; only those the message shows get a line and column
 * (locating one scans the document, and a hostile file can hold thousands of problems).
 */
function toProblems(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  file: string,
  locate: ObjectSource['locate'],
  overridden: { dotted: string; text: string }[],
): ScenarioProblem[] {
  const seen = new Set<string>();
  const out: ScenarioProblem[] = [];
  for (const issue of issues) {
    const problem = toProblem(issue, raw, file, undefined, overridden);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(out.length < MAX_PROBLEMS_SHOWN ? toProblem(issue, raw, file, locate, overridden) : problem);
  }
  return out;
}

function toProblem(
  issue: z.core.$ZodIssue,
  raw: unknown,
  file: string,
  locate: ObjectSource['locate'],
  overridden: { dotted: string; text: string }[],
): ScenarioProblem {
  const path = issue.path;
  // Keys come from the input: a path is escaped and cut like any value it quotes.
  const pathText = shorten(formatPath(path), MAX_PATH_CHARS);
  const found = valueAt(raw, path);
  // Messages may quote the input: a backstop keeps each to a few lines.
  let message = shorten(issue.message, MAX_MESSAGE_CHARS);
  if (message.startsWith('Invalid input: ')) message = message.slice('Invalid input: '.length);
  // zod names the type it received; the value itself (or 'missing') says more.
  message = message.replace(/^(expected [^,]+), received [\w ]+$/, '$1');
  if (found.missing && issue.code !== 'custom' && message.startsWith('expected'))
    message = `missing; ${message}`;
  if (
    !found.missing &&
    issue.code !== 'unrecognized_keys' &&
    !/, got /.test(message) &&
    /^(missing; )?expected/.test(message)
  ) {
    message += `, got ${show(found.value)}`;
  }
  const dotted = path.map(String).join('.');
  // An unknown key is the override's when the override wrote that key (or below it).
  const targets =
    issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (dotted ? `${dotted}.${k}` : k)) : [dotted];
  const fromOverride = overridden.find((o) =>
    targets.some((t) => t === o.dotted || t.startsWith(`${o.dotted}.`) || o.dotted.startsWith(`${t}.`)),
  );
  if (fromOverride !== undefined)
    return { file: `${file} (--set ${fromOverride.text})`, path: pathText, message };
  // An unknown key is best pointed at by its own line.
  const pos = issue.code === 'unrecognized_keys' ? locate?.([...path, issue.keys[0]!], true) : locate?.(path);
  return pos
    ? { file, line: pos.line, column: pos.col, path: pathText, message }
    : { file, path: pathText, message };
}

/** Longest YAML path printed (a key can be as long as a line). */
const MAX_PATH_CHARS = 120;

/** Longest problem message printed (a list of 10,000 class names is cut). */
const MAX_MESSAGE_CHARS = 400;

function valueAt(root: unknown, path: readonly PropertyKey[]): { missing: boolean; value?: unknown } {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in (node as object))) return { missing: true };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node === undefined ? { missing: true } : { missing: false, value: node };
}

/** A value from the input as the message quotes it: short and escaped, never the whole of it. */
function show(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  // JSON has no Infinity or NaN (it writes null): a YAML `.inf` or `1e400` is shown as it is.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value);
  return shorten(text === undefined ? String(value) : text, 40);
}
