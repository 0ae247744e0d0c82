/**
 * Bundles the CLI into dist/cli.js with esbuild (dependencies stay external), so `floodgate`
 * starts without a TypeScript loader. Run by `npm run build` and by `npm ci` (prepare).
 */
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
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
