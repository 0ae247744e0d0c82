/**
 * Bundles the CLI into dist/cli.js (and the compare worker into dist/compare-worker.js) with
 * esbuild, so `floodgate` starts fast and without a TypeScript loader. Run by `npm run build`,
 * by `npm ci` (prepare) and by `npm test`.
 */
import { build } from 'esbuild';

await build({
  // The CLI, and the worker thread `floodgate compare` runs its jobs on.
  entryPoints: { cli: 'src/cli/main.ts', 'compare-worker': 'src/compare/compare-worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Dependencies are bundled too: resolving hundreds of ESM files (zod, yaml) cost ~0.3 s per start.
  // esbuild stays external (native binary, loaded lazily for user modules only).
  external: ['esbuild'],
  // Bundled CommonJS dependencies (commander) require Node built-ins.
  banner: {
    js: "import { createRequire as __floodgateRequire } from 'node:module'; const require = __floodgateRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
  // Class fields become constructor assignments: V8 builds the hot objects (Request, Attempt)
  // noticeably faster than with [[Define]] semantics (measured: see bench/).
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
});

// The HTML report's browser code: one minified IIFE that the report inlines (read from
// dist/report-client.js by the bundled CLI). Same options as CLIENT_BUILD_OPTIONS in
// src/report/client-script.ts, which bundles it at render time when running from source.
await build({
  entryPoints: { 'report-client': 'src/report/client/main.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
