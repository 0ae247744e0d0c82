/**
 * Imports a user's TypeScript or JavaScript module (a policy, a scenario written in TS) without a
 * build step: esbuild bundles it in memory, with `floodgate` resolving to this checkout's public
 * API, and the bundle is imported from a data: URL. Compile errors become FG_POLICY_INVALID or
 * FG_SCENARIO_INVALID errors that point at the user's file and line.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, FloodgateError, printable } from '../errors.ts';
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
  const { build } = await import('esbuild');
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
      alias: { floodgate: publicApiPath() },
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
      `${where}: cannot compile ${file}: ${loc}${printable(first?.text ?? (e as Error).message, 200)}`,
    );
  }
  try {
    return (await import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`)) as Record<
      string,
      unknown
    >;
  } catch (e) {
    // The module's own top-level code threw: the user's mistake, not ours.
    throw new FloodgateError(code, `${where}: ${file} threw while loading: ${thrownText(e)}`);
  }
}

/** What user code threw, as one short escaped line: `TypeError: x is not a function`. */
export function thrownText(e: unknown): string {
  if (e instanceof Error) return printable(`${e.name}: ${e.message}`, 200);
  try {
    return printable(String(e), 200);
  } catch {
    return 'a value that cannot be printed';
  }
}

/** The module `import ... from 'floodgate'` resolves to in user code (the type checker maps it too). */
export function floodgateApiPath(): string {
  return publicApiPath();
}

/** The `floodgate` module user code imports: src/index.ts of this checkout. */
function publicApiPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = resolve(dir, 'src', 'index.ts');
    if (existsSync(resolve(dir, 'package.json')) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find floodgate/src/index.ts to resolve imports of user modules');
}
