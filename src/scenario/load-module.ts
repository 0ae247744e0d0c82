/**
 * Imports a user's TypeScript or JavaScript module (a policy, a scenario written in TS) without a
 * build step: esbuild bundles it in memory, with `@floodgate-sim/floodgate` (or `floodgate`)
 * resolving to the public API of the running Floodgate, and the bundle is imported from a data:
 * URL. Compile errors become FG_POLICY_INVALID or FG_SCENARIO_INVALID errors that point at the
 * user's file and line.
 */

import { existsSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';
import type { Plugin } from 'esbuild';
import { type ErrorCode, FloodgateError } from '../errors.ts';
import { importModule } from '../import-module.ts';
import { shorten } from '../text/quote.ts';
import { checkInputFile } from './read-input.ts';

/** A policy or scenario module is code someone wrote: 1 MB is far more than any. */
const MAX_MODULE_BYTES = 1024 * 1024;

export async function importUserModule(
  file: string,
  where: string,
  code: ErrorCode,
  missingCode: ErrorCode = code,
): Promise<Record<string, unknown>> {
  if (!existsSync(file)) throw new FloodgateError(missingCode, `${where}: module '${file}' does not exist`);
  await checkInputFile(file, {
    context: `${where}: cannot load '${file}'`,
    code,
    maxBytes: MAX_MODULE_BYTES,
  });
  const { build } = (await importModule('esbuild')) as typeof Esbuild;
  let text: string;
  try {
    const out = await build({
      entryPoints: [file],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      sourcemap: 'inline',
      plugins: [publicApiPlugin()],
    });
    text = out.outputFiles[0]!.text;
  } catch (e) {
    const errors =
      (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] })
        .errors ?? [];
    const first = errors[0];
    const loc = first?.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    throw new FloodgateError(
      code,
      `${where}: cannot compile ${file}: ${loc}${shorten(first?.text ?? (e as Error).message, 200)}`,
    );
  }
  try {
    return (await importModule(
      `data:text/javascript;base64,${Buffer.from(text).toString('base64')}`,
    )) as Record<string, unknown>;
  } catch (e) {
    // The module's own top-level code threw: the user's mistake, not ours.
    throw new FloodgateError(code, `${where}: ${file} threw while loading: ${thrownText(e)}`);
  }
}

/** What user code threw, as one short escaped line: `TypeError: x is not a function`. */
export function thrownText(e: unknown): string {
  if (e instanceof Error) return shorten(`${e.name}: ${e.message}`, 200);
  try {
    return shorten(String(e), 200);
  } catch {
    return 'a value that cannot be printed';
  }
}

/**
 * The typings of the public API for the type checker: the TypeScript source in a clone, the
 * published declarations (dist/types) in an installed package.
 */
export function publicApiTypesPath(): string {
  const api = publicApiPath();
  if (api.endsWith('.ts')) return api;
  const root = dirname(dirname(api));
  const source = resolve(root, 'src', 'index.ts');
  return existsSync(source) ? source : resolve(root, 'dist', 'types', 'src', 'index.d.ts');
}

/**
 * The names user modules import the public API by: the package's published name, and
 * `floodgate`, which modules written before the package had a scope still use.
 */
const PUBLIC_API_NAMES = /^(?:@floodgate-sim\/floodgate|floodgate)$/;

/**
 * The file those names resolve to, so that a user's module sees the build of Floodgate that
 * runs it: the built library (dist/index.js) when running from a build, which is the installed
 * package and the bundled CLI of a clone; src/index.ts when running from source (tests, tsx).
 */
export function publicApiPath(): string {
  const here = fileURLToPath(import.meta.url);
  let dir = dirname(here);
  for (let i = 0; i < 6; i++) {
    if (existsSync(resolve(dir, 'package.json'))) {
      const built = resolve(dir, 'dist', 'index.js');
      const source = resolve(dir, 'src', 'index.ts');
      const runningBuilt = here.startsWith(resolve(dir, 'dist') + sep);
      const candidates = runningBuilt ? [built, source] : [source, built];
      const found = candidates.find((f) => existsSync(f));
      if (found) return found;
    }
    dir = dirname(dir);
  }
  throw new Error(
    'cannot find dist/index.js or src/index.ts of floodgate to resolve imports of user modules',
  );
}

/**
 * Resolves the public-API names for esbuild. The built library stays an import of its file URL
 * (a data: URL module may import absolute URLs), so user modules share the one loaded copy and
 * stay small; the TypeScript source, which Node cannot import, is bundled in.
 */
function publicApiPlugin(): Plugin {
  const api = publicApiPath();
  return {
    name: 'floodgate-public-api',
    setup(b) {
      b.onResolve({ filter: PUBLIC_API_NAMES }, () =>
        api.endsWith('.ts') ? { path: api } : { path: pathToFileURL(api).href, external: true },
      );
    },
  };
}
