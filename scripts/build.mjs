/**
 * Bundles the CLI into dist/cli.js (and the compare worker into dist/compare-worker.js) with
 * esbuild, so `floodgate` starts fast and without a TypeScript loader, and the library entry into
 * dist/index.js (what `import ... from '@floodgate-sim/floodgate'` loads). Run by `npm run build`,
 * by `npm ci` (prepare), by `npm pack` (prepack, which also emits the types: tsconfig.build.json)
 * and by `npm test`.
 */
import { build } from 'esbuild';

// Class fields become constructor assignments: V8 builds the hot objects (Request, Attempt)
// noticeably faster than with [[Define]] semantics (measured: see bench/).
const tsconfigRaw = { compilerOptions: { useDefineForClassFields: false } };

// zod's `z` namespace re-exports all of its ~40 message locales, so every one of them lands in a
// bundle (366 KB, 18% of the CLI's) and is compiled at every start. Floodgate only ever uses the
// English messages zod sets by default; the CLI bundles carry that one alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
    }));
  },
};

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
  tsconfigRaw,
  plugins: [zodEnglishOnly],
});

// The library: one ES module whose dependencies stay imports (resolved from the installer's
// node_modules, so a user's `z` is the same zod the library validates with). It sits beside
// compare-worker.js and report-client.js, which it finds relative to itself.
await build({
  entryPoints: { index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  tsconfigRaw,
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
