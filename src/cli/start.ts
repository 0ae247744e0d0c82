/**
 * The CLI as built (dist/cli-start.cjs, which bin/floodgate.js requires, and dist/cli.js, the same
 * as an ES module): runs the bundled CLI, dist/cli-main.cjs, through a V8 code cache
 * (code-cache.ts): a 1 s run then takes about a fifth less CPU. The cache tried first is the user's own (written after a run that had none), then
 * the one the build made (dist/cli-main.cache), which fits only the Node that built it.
 *
 * FLOODGATE_CODE_CACHE=off runs without any cache; FLOODGATE_CODE_CACHE_DIR sets the user's cache
 * directory (default: floodgate-code-cache-<uid> in the temporary directory). It is used only if
 * it is a directory of this user's that no one else can write.
 */
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWithCodeCache } from './code-cache.ts';

const here = dirname(fileURLToPath(import.meta.url));
const enabled = process.env['FLOODGATE_CODE_CACHE'] !== 'off';

const loaded = loadWithCodeCache({
  bundle: join(here, 'cli-main.cjs'),
  shipped: join(here, 'cli-main.cache'),
  userDir: enabled ? userCacheDir() : undefined,
  read: enabled,
  // Bare names and absolute URLs only (src/import-module.ts): they resolve from here as from dist/.
  importModule: (specifier) => import(specifier),
  // Loaded at every start otherwise, for commander's executable subcommands (never used), the
  // emulator, compare's worker threads, seedrandom's unused auto-seed and the shard hashes.
  lazyBuiltins: ['node:child_process', 'node:http', 'node:worker_threads', 'node:crypto', 'crypto'],
});
const cli = loaded.exports as typeof import('./main.ts');

function userCacheDir(): string {
  const dir = process.env['FLOODGATE_CODE_CACHE_DIR'];
  if (dir) return dir;
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? 'floodgate-code-cache' : `floodgate-code-cache-${uid}`);
}

/** Runs the CLI (see main.ts), then writes the user's code cache if this run had none. */
export async function main(argv: string[]): Promise<number> {
  const code = await cli.main(argv);
  loaded.saveIfNeeded();
  return code;
}

/** Writes the code compiled so far as `file` (the build makes dist/cli-main.cache with it). */
export function writeCodeCache(file: string): void {
  loaded.writeCodeCache(file);
}
