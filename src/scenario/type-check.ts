/**
 * Type-checks users' TypeScript modules (policies, scenarios written in TS) against the public
 * API, as `tsc --strict` would. esbuild only strips types, so without this a policy with a type
 * error loads and may silently do nothing. Used by `floodgate validate`; the TypeScript compiler
 * is loaded lazily and, when it is not installed, the check is skipped with a note.
 */

import { createRequire } from 'node:module';
import { dirname, extname } from 'node:path';
import { importModule } from '../import-module.ts';
import { shorten } from '../text/quote.ts';

import { publicApiTypesPath } from './load-module.ts';

export interface TypeProblem {
  file: string;
  line: number;
  column: number;
  /** `Type 'string' is not assignable to type 'number'. (TS2322)` */
  message: string;
}

export type TypeCheckResult = { checked: true; problems: TypeProblem[] } | { checked: false; reason: string };

/** Problems reported per module at most (the first ones are the useful ones). */
const MAX_PER_FILE = 10;

function importTypeScript(): Promise<unknown> {
  // A variable specifier: the CLI bundle must not inline the compiler (it is optional at run time).
  const specifier = 'typescript';
  return importModule(specifier);
}

/** "Cannot find name 'process'. Do you need to install type definitions for node?" and kin. */
const NEEDS_NODE_TYPES = new Set([2580, 2591, 2592]);

/** The @types folder holding @types/node as floodgate resolves it, if installed. */
function nodeTypesRoot(): string | undefined {
  try {
    return dirname(dirname(createRequire(import.meta.url).resolve('@types/node/package.json')));
  } catch {
    return undefined;
  }
}

/** Checks `files` (absolute paths of .ts/.mts modules; others are skipped) in one program. */
export async function typeCheckModules(
  files: readonly string[],
  loadCompiler: () => Promise<unknown> = importTypeScript,
): Promise<TypeCheckResult> {
  const roots = [...new Set(files)].filter((f) => /^\.m?ts$/.test(extname(f)));
  if (roots.length === 0) return { checked: true, problems: [] };
  let ts: typeof import('typescript');
  try {
    const mod = (await loadCompiler()) as { default?: typeof import('typescript') };
    ts = mod.default ?? (mod as unknown as typeof import('typescript'));
  } catch {
    return { checked: false, reason: 'the typescript package is not installed (npm install -D typescript)' };
  }
  const nodeTypes = nodeTypesRoot();
  const program = ts.createProgram(roots, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    // Node's globals (process, Buffer) from floodgate's own @types/node; no other ambient types.
    types: nodeTypes ? ['node'] : [],
    ...(nodeTypes ? { typeRoots: [nodeTypes] } : {}),
    paths: { floodgate: [publicApiTypesPath()], '@floodgate-sim/floodgate': [publicApiTypesPath()] },
  });
  const problems: TypeProblem[] = [];
  for (const root of roots) {
    const source = program.getSourceFile(root);
    if (!source) continue;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    // Without @types/node, `process` and friends are unknown names: not the user's mistake.
    const relevant = nodeTypes ? diagnostics : diagnostics.filter((d) => !NEEDS_NODE_TYPES.has(d.code));
    for (const d of relevant.slice(0, MAX_PER_FILE)) {
      const { line, character } = source.getLineAndCharacterOfPosition(d.start ?? 0);
      const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      problems.push({
        file: root,
        line: line + 1,
        column: character + 1,
        message: `${shorten(text, 300)} (TS${d.code})`,
      });
    }
  }
  return { checked: true, problems };
}
