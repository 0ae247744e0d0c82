/**
 * Bundles the CLI into dist/cli-run.cjs (`floodgate run`) and dist/cli-main.cjs (every command),
 * with their entry dist/cli.js and a code cache for each (dist/cli-run.cache, dist/cli-main.cache),
 * and the compare worker into dist/compare-worker.js, with
 * esbuild, so `floodgate` starts fast and without a TypeScript loader, and the library entry into
 * dist/index.js (what `import ... from '@floodgate-sim/floodgate'` loads). Run by `npm run build`,
 * by `npm ci` (prepare), by `npm pack` (prepack, which also emits the types: tsconfig.build.json)
 * and by `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

// simple-statistics' bundled build computes a normal-distribution table at load (a 310-step loop
// of series sums, ~3 ms at every start) that the functions Floodgate uses never read. The CLI
// bundles import those functions from the package's own one-function modules instead (the same
// code); a name not listed here fails the build rather than being missed.
const simpleStatisticsFunctions = {
  name: 'simple-statistics-functions',
  setup(b) {
    const used = { mean: 'mean', sampleStandardDeviation: 'sample_standard_deviation' };
    b.onResolve({ filter: /^simple-statistics$/ }, () => ({
      path: 'simple-statistics',
      namespace: 'simple-statistics-functions',
    }));
    b.onLoad({ filter: /.*/, namespace: 'simple-statistics-functions' }, () => ({
      contents: Object.entries(used)
        .map(([name, file]) => `export { default as ${name} } from ${JSON.stringify(`./src/${file}.js`)};`)
        .join('\n'),
      // The package's exports map offers only its bundles: its files are reached from its folder.
      resolveDir: dirname(createRequire(import.meta.url).resolve('simple-statistics/package.json')),
      loader: 'js',
    }));
  },
};

// The CLI: two CommonJS bundles, which dist/cli.js (src/cli/start.ts) runs through a V8 code cache
// (Node 20 caches no ES module's code): dist/cli-run.cjs has the run command alone (most processes
// run it; without the other commands' modules a run executes ~3% fewer instructions), and
// dist/cli-main.cjs every command. No import() of the project's own modules in them: esbuild then
// wraps every module the import reaches in a lazy initializer, and the hot path slows
// (test/cli/run-bundle.test.ts). Dependencies are bundled too:
// resolving hundreds of ESM files (zod, yaml) cost ~0.3 s per start. esbuild stays external
// (native binary, loaded lazily for user modules only). `import.meta.url` is the bundle's own URL,
// so the files found beside it (compare-worker.js, report-client.js) are found as before.
// Node's CommonJS wrapper, and the bundle's import() (src/import-module.ts): the parameters
// src/cli/code-cache.ts passes.
const CJS_WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __floodgateImport) {';
const CJS_WRAPPER_TAIL = '})';
for (const cache of ['dist/cli-main.cache', 'dist/cli-run.cache']) rmSync(cache, { force: true });
// What both CommonJS builds share: Node 20, bundled, written beside each other in dist/ as .cjs.
const nodeCjs = {
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  tsconfigRaw,
};
const cliBundle = await build({
  ...nodeCjs,
  entryPoints: { 'cli-main': 'src/cli/main.ts', 'cli-run': 'src/cli/run-entry.ts' },
  external: ['esbuild'],
  define: { 'import.meta.url': '__floodgateBundleUrl' },
  // The bundle is one function expression (src/cli/code-cache.ts runs it), so the loader compiles
  // the file's text as it is, not a wrapped copy of it.
  banner: {
    js: `${CJS_WRAPPER_HEAD}\nconst __floodgateBundleUrl = require("node:url").pathToFileURL(__filename).href;`,
  },
  footer: { js: CJS_WRAPPER_TAIL },
  write: false,
  plugins: [zodEnglishOnly, simpleStatisticsFunctions],
});
// esbuild writes code in ASCII (charset), comments as they are: with one other character in a
// comment V8 would hold the whole 1.7 MB source as two-byte text. Escaped, it stays one byte a char.
// (write: false creates no directory: a fresh clone has no dist/ yet.)
for (const file of cliBundle.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(
    file.path,
    file.path.endsWith('.cjs')
      ? file.text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      : file.contents,
  );
}

// The CLI's entry again, as CommonJS for bin/floodgate.js (a CommonJS file: bin/package.json), so
// that `floodgate` starts without Node's ES module loader, which only a user's module then needs.
await build({
  ...nodeCjs,
  entryPoints: { 'cli-start': 'src/cli/start.ts' },
  define: { 'import.meta.url': '__floodgateStartUrl' },
  banner: { js: 'const __floodgateStartUrl = require("node:url").pathToFileURL(__filename).href;' },
});

await build({
  // The CLI's entry (loads dist/cli-main.cjs), and the worker thread `floodgate compare` runs its
  // jobs on.
  entryPoints: { cli: 'src/cli/start.ts', 'compare-worker': 'src/compare/compare-worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
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

// The shipped code caches: a short run of each built CLI bundle (a fresh Node, without the options
// or NODE_OPTIONS this build may run under, as `floodgate` is started), then the code it compiled:
// a run for dist/cli-run.cjs, a validation for dist/cli-main.cjs (every other command). They fit
// only this Node; others make their own on their first run. Without them the CLI still runs.
const warmDir = mkdtempSync(join(tmpdir(), 'floodgate-build-'));
const env = { ...process.env, FLOODGATE_CODE_CACHE: 'off' };
delete env.NODE_OPTIONS;
const warmRuns = {
  'cli-run': [
    'run',
    'scenarios/mmc.yaml',
    '--set',
    'duration=1m',
    '--quiet',
    '--out',
    join(warmDir, 'run.json'),
  ],
  'cli-main': ['validate', 'scenarios/mmc.yaml'],
};
for (const [name, argv] of Object.entries(warmRuns)) {
  // A script file, not `node -e` (its options would be part of the cache's key).
  const warm = join(warmDir, `${name}.mjs`);
  writeFileSync(
    warm,
    `import { main, writeCodeCache } from ${JSON.stringify(pathToFileURL(resolve('dist/cli.js')).href)};
const code = await main(${JSON.stringify(argv)});
if (code !== 0) throw new Error('exit ' + code);
writeCodeCache(${JSON.stringify(name)}, ${JSON.stringify(resolve(`dist/${name}.cache`))});
`,
  );
  const made = spawnSync(process.execPath, [warm], { env, encoding: 'utf8' });
  if (made.status !== 0)
    console.warn(`warning: no code cache for dist/${name}.cjs (the CLI starts slower):\n${made.stderr}`);
}
rmSync(warmDir, { recursive: true, force: true });
