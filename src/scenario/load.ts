/**
 * Scenario loading: file -> YAML document -> overrides -> schema -> `LoadedScenario`, with every
 * problem reported at once as file:line:column, YAML path, what was expected and what was found.
 * This module and the CLI are the only places that read files.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { FloodgateError, formatPath, ScenarioInvalidError, type ScenarioProblem } from '../errors.ts';
import { parseCsvTrace, parseJsonlTrace, type Trace } from '../workload/trace.ts';
import { checkWork, type WorkLimits } from './budget.ts';
import { importUserModule } from './load-module.ts';
import { applyOverride, type Override } from './overrides.ts';
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
    const mod = await importUserModule(resolve(file), file, 'FG_SCENARIO_UNREADABLE');
    if (mod['default'] === undefined) {
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: expected a default export: export default defineScenario({ ... })`,
      );
    }
    return loadScenarioObject(mod['default'], { ...options, file });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new FloodgateError(
      'FG_SCENARIO_UNREADABLE',
      `${file}: cannot read the scenario: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return loadScenarioText(text, file, options);
}

/** Same as `loadScenarioFile` for YAML text already in memory (`file` labels errors and resolves paths). */
export async function loadScenarioText(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<LoadedScenario> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioInvalidError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          file,
          path: '',
          message: `invalid YAML: ${e.message.split('\n')[0]}`,
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
  if (!isMap(doc.contents) && !isSeq(doc.contents)) {
    throw new ScenarioInvalidError([
      {
        file,
        path: '',
        message: `expected a mapping with name, duration, providers and workload, got ${JSON.stringify(doc.toJS())}`,
      },
    ]);
  }
  return loadScenarioObject(doc.toJS(), { ...options, file, locate });
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
    let text: string;
    try {
      text = await readFile(tracePath, 'utf8');
    } catch (e) {
      throw new FloodgateError(
        'FG_TRACE_INVALID',
        `${file}: ${path}: cannot read trace '${tracePath}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
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
  const problems = result.error.issues.map((issue) => toProblem(issue, raw, file, source.locate, overridden));
  throw new ScenarioInvalidError(dedupe(problems));
}

function toProblem(
  issue: z.core.$ZodIssue,
  raw: unknown,
  file: string,
  locate: ObjectSource['locate'],
  overridden: { dotted: string; text: string }[],
): ScenarioProblem {
  const path = issue.path;
  const pathText = formatPath(path);
  const found = valueAt(raw, path);
  let message = issue.message;
  if (message.startsWith('Invalid input: ')) message = message.slice('Invalid input: '.length);
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
  const fromOverride = overridden.find(
    (o) => dotted === o.dotted || dotted.startsWith(`${o.dotted}.`) || o.dotted.startsWith(`${dotted}.`),
  );
  if (fromOverride !== undefined)
    return { file: `${file} (--set ${fromOverride.text})`, path: pathText, message };
  // An unknown key is best pointed at by its own line.
  const pos = issue.code === 'unrecognized_keys' ? locate?.([...path, issue.keys[0]!], true) : locate?.(path);
  return pos
    ? { file, line: pos.line, column: pos.col, path: pathText, message }
    : { file, path: pathText, message };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { missing: boolean; value?: unknown } {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in (node as object))) return { missing: true };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node === undefined ? { missing: true } : { missing: false, value: node };
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function dedupe(problems: ScenarioProblem[]): ScenarioProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
