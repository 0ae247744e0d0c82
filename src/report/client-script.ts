/**
 * The browser-side code of the report (src/report/client/), as one IIFE string to inline.
 * `npm run build` bundles it into dist/report-client.js beside dist/cli.js, and the bundled CLI
 * reads that file; run from source (tests, `tsx`, programmatic use), it is bundled here once per
 * process with esbuild's synchronous API (about 0.1 s), so the page always matches the source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

/** esbuild options for the client bundle; scripts/build.mjs uses the same ones (keep in sync). */
export const CLIENT_BUILD_OPTIONS = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
} as const;

let cached: string | undefined;

/** The client bundle's source text (cached). */
export function clientScript(): string {
  if (cached !== undefined) return cached;
  const built = fileURLToPath(new URL('./report-client.js', import.meta.url));
  if (existsSync(built)) {
    cached = readFileSync(built, 'utf8');
    return cached;
  }
  const entry = [
    new URL('./client/main.ts', import.meta.url),
    new URL('../src/report/client/main.ts', import.meta.url),
  ]
    .map((u) => fileURLToPath(u))
    .find((f) => existsSync(f));
  if (!entry)
    throw new Error(
      `report client not found: expected ${built} (run \`npm run build\`) or src/report/client/main.ts`,
    );
  // Loaded lazily: the CLI starts without esbuild unless a report or a user module needs it.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  const out = esbuild.buildSync({ ...CLIENT_BUILD_OPTIONS, entryPoints: [entry], write: false });
  cached = out.outputFiles[0]!.text;
  return cached;
}
