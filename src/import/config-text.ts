/**
 * A gateway's configuration file as Floodgate reads it: the parsed value, and where each path of
 * it sits in the text (1-based line and column) so problems point at the line. JSON and YAML both
 * go through the YAML parser (JSON is YAML), which keeps node positions.
 */
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { FloodgateError } from '../errors.ts';
import { shorten } from '../text/quote.ts';

/** One problem in a gateway config: where (file, line, path), what was expected and found, a fix. */
export interface ConfigProblem {
  file: string;
  line?: number | undefined;
  column?: number | undefined;
  /** `targets[1].retry.attempts` */
  path: string;
  message: string;
}

export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}: ${p.path || '(top level)'}: ${p.message}`;
}

/** A gateway config Floodgate cannot import; every problem found is listed. */
export class ConfigInvalidError extends FloodgateError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const shown = problems.slice(0, 20).map(formatConfigProblem);
    if (problems.length > 20) shown.push(`... and ${problems.length - 20} more problems`);
    super('FG_CONFIG_INVALID', shown.join('\n'));
    this.problems = problems;
  }
}

export type ConfigPath = readonly (string | number)[];

/** `['targets', 1, 'retry']` -> `targets[1].retry` */
export function pathText(path: ConfigPath): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${key}` : key;
  return out;
}

export interface ConfigText {
  file: string;
  value: unknown;
  /** Line and column of the value at `path` (of its nearest ancestor that has one). */
  locate(path: ConfigPath): { line: number; column: number } | undefined;
}

/** Parses a config's text; invalid JSON/YAML is a ConfigInvalidError at the line it fails. */
export function parseConfigText(text: string, file: string): ConfigText {
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser recurses per level: absurdly deep nesting overflows the stack.
    if (!(e instanceof RangeError)) throw e;
    throw new ConfigInvalidError([{ file, path: '', message: 'invalid JSON/YAML: nested too deeply' }]);
  }
  if (doc.errors.length > 0)
    throw new ConfigInvalidError(
      doc.errors.slice(0, 20).map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          file,
          path: '',
          line: pos.line,
          column: pos.col,
          message: `invalid JSON/YAML: ${shorten(e.message.split('\n')[0] ?? '', 200)}`,
        };
      }),
    );
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    throw new ConfigInvalidError([
      { file, path: '', message: `invalid JSON/YAML: ${shorten(e.message, 200)}` },
    ]);
  }
  return {
    file,
    value,
    locate(path) {
      let node: unknown = doc.contents;
      let found: Node | undefined = node as Node | undefined;
      for (const key of path) {
        if (isMap(node)) node = node.get(key, true);
        else if (isSeq(node) && typeof key === 'number') node = node.get(key, true);
        else break;
        if (node && typeof node === 'object' && 'range' in node) found = node as Node;
        else break;
      }
      const range = found?.range;
      if (!range) return undefined;
      const pos = lineCounter.linePos(range[0]);
      return { line: pos.line, column: pos.col };
    },
  };
}
