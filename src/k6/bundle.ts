/**
 * Bundles a compiled configuration and the k6 runtime (k6/runtime/) into ONE k6 script with
 * esbuild: the configuration replaces k6/runtime/config.ts (as readable JSON), the runtime and what it reuses from src/
 * (distributions, backoff) and seedrandom's Alea are bundled, and only k6's own modules stay
 * imports. `platform: neutral` makes any Node built-in an error instead of a broken script.
 *
 * Scenario text (names, the target, the command line) reaches the script only as an escaped
 * string literal (inlineJson) or an escaped comment line (commentText): nothing in it can end the
 * comment or the string and run as code beside FLOODGATE_API_KEY.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';
import { importModule } from '../import-module.ts';
import { inlineJson } from '../report/html.ts';
import { commentText } from './literals.ts';
import type { K6Mode, ScriptConfig, TraceRecords } from './script-config.ts';

/** Directory of the k6 runtime sources (k6/runtime), found from this module up. */
export function runtimeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = resolve(dir, 'k6', 'runtime');
    if (existsSync(resolve(candidate, 'entry-stock.ts'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find k6/runtime/entry-stock.ts (the k6 runtime sources) above src/k6');
}

export interface BundleOptions {
  /** First lines of the script (comment text, without the `//`; escaped here, see commentText). */
  header?: readonly string[];
  /** Trace records of the classes whose `trace` plan needs them (CompiledK6.traces). */
  traces?: TraceRecords;
  /**
   * Keep k6's standard end-of-test summary beside Floodgate's: the script imports `textSummary`
   * from the k6-summary jslib (K6_SUMMARY_JSLIB), which k6 fetches when the test starts (`k6
   * archive` bundles it for runners without internet). Default false: the script imports only
   * k6's own modules and runs offline.
   */
  standardSummary?: boolean;
}

/** The k6-summary jslib: its textSummary(data, { indent, enableColors }) is k6's standard summary. */
export const K6_SUMMARY_JSLIB = 'https://jslib.k6.io/k6-summary/0.0.2/index.js';

/** The bundled script text for `config` (an ES module k6 runs as is). */
export async function bundleK6Script(config: ScriptConfig, options: BundleOptions = {}): Promise<string> {
  const { build } = (await importModule('esbuild')) as typeof Esbuild;
  const entry = resolve(runtimeDir(), entryFile(config.mode));
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    // Paths esbuild prints (a comment per module) are relative to the project, not to the current
    // directory, so the script is the same wherever it is compiled.
    absWorkingDir: resolve(runtimeDir(), '..', '..'),
    // ES2017: k6 before v0.53 runs scripts through Babel, which rejects `??`, `?.`, `catch {` and
    // object spread; esbuild lowers them (test/k6/portability.test.ts checks every bundled scenario).
    target: 'es2017',
    // Strings holding `</script` print as `<\/script`, so the script is safe inlined in HTML too.
    supported: { 'inline-script': true },
    external: ['k6', 'k6/*', K6_SUMMARY_JSLIB],
    // k6/runtime/config.ts becomes the configuration itself, printed for people to read.
    plugins: [
      {
        name: 'floodgate-config',
        setup(b) {
          b.onLoad({ filter: /[\\/]k6[\\/]runtime[\\/]config\.ts$/ }, () => ({
            contents: configModule(config, options.traces ?? {}),
            loader: 'js',
          }));
          if (options.standardSummary)
            b.onLoad({ filter: /[\\/]k6[\\/]runtime[\\/]standard-summary\.ts$/ }, () => ({
              contents: STANDARD_SUMMARY_MODULE,
              loader: 'js',
            }));
        },
      },
    ],
    banner: options.header
      ? { js: options.header.map((l) => `// ${commentText(l)}`.trimEnd()).join('\n') }
      : {},
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  });
  return out.outputFiles![0]!.text;
}

/** What replaces k6/runtime/standard-summary.ts with --k6-summary: k6's own text, from the jslib. */
const STANDARD_SUMMARY_MODULE = `import { textSummary } from ${JSON.stringify(K6_SUMMARY_JSLIB)};
export function standardSummary(data, enableColors) {
  return textSummary(data, { indent: ' ', enableColors: enableColors });
}
`;

/**
 * The module that replaces k6/runtime/config.ts: the configuration as readable JSON, and the
 * trace records inside a function, so that only the SharedArray that calls it once holds them.
 */
function configModule(config: ScriptConfig, traces: TraceRecords): string {
  for (const c of config.classes) {
    if (c.trace && traces[c.name]?.length !== c.trace.records)
      throw new Error(`trace records of class '${c.name}' missing: pass CompiledK6.traces to bundleK6Script`);
  }
  const records = Object.entries(traces)
    .map(([name, list]) => `    ${objectKey(name)}: ${JSON.stringify(list)}`)
    .join(',\n');
  return `export const config = ${formatJson(config)};
export function traceRecords(className) {
  const records = {
${records}
  };
  return records[className] ?? [];
}
`;
}

/**
 * A class name as a key of an object literal: a string literal, and `__proto__` computed, since
 * `{"__proto__": x}` would set the object's prototype instead of a key.
 */
function objectKey(name: string): string {
  return name === '__proto__' ? `[${inlineJson(name)}]` : inlineJson(name);
}

function entryFile(mode: K6Mode): string {
  return mode === 'sse' ? 'entry-sse.ts' : 'entry-stock.ts';
}

/** Module specifiers a bundled script imports (for checks: only k6 modules may remain). */
export function scriptImports(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+(?:[\w*{}\s,]+\s+from\s+)?["']([^"']+)["']/g))
    found.add(m[1]!);
  for (const m of text.matchAll(/\b(?:require|import)\s*\(\s*["']([^"']+)["']\s*\)/g)) found.add(m[1]!);
  return [...found].sort();
}

/**
 * JSON for people: objects one key per line, but arrays of numbers and small objects (a stage,
 * a distribution) on one line, so a trace's sizes do not take a line per number. Also a safe
 * JavaScript literal: inlineJson escapes U+2028, U+2029 and `<`. Its keys are field names, k6
 * scenario names and metric names, never `__proto__` (compile.ts reserves it).
 */
export function formatJson(value: unknown, indent = ''): string {
  if (value === undefined) return 'null';
  const inline = inlineJson(value);
  if (value === null || typeof value !== 'object' || inline.length <= 100) return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return inline;
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${inlineJson(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
