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
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
