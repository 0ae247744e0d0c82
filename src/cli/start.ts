/**
 * The CLI as built (dist/cli-start.cjs, which bin/floodgate.js requires, and dist/cli.js, the same
 * as an ES module): runs a bundled CLI (dist/cli-run.cjs for `floodgate run`, else dist/cli-main.cjs:
 * bundleFor) through a V8 code cache (code-cache.ts): a 1 s run then takes about a fifth less CPU.
 * The cache tried first is the user's own (written after a run that had none), then the one the
 * build made (dist/cli-run.cache, dist/cli-main.cache), which fits only the Node that built it.
 *
 * FLOODGATE_CODE_CACHE=off runs without any cache; FLOODGATE_CODE_CACHE_DIR sets the user's cache
 * directory (default: floodgate-code-cache-<uid> in the temporary directory). It is used only if
 * it is a directory of this user's that no one else can write.
 */
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeLine } from '../text/quote.ts';
import { type LoadedBundle, loadWithCodeCache } from './code-cache.ts';
import { EXIT } from './exit-codes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const enabled = process.env['FLOODGATE_CODE_CACHE'] !== 'off';

/**
 * The bundle for a command line: dist/cli-run.cjs (run-entry.ts) when it names `run`, the command
 * most processes run, which then loads and compiles no other command's modules; else
 * dist/cli-main.cjs (main.ts), with every command. Each has its own caches.
 */
export function bundleFor(argv: readonly string[]): 'cli-run' | 'cli-main' {
  return argv[0] === 'run' ? 'cli-run' : 'cli-main';
}

const loaded = new Map<string, LoadedBundle>();

function load(name: string): LoadedBundle {
  let bundle = loaded.get(name);
  if (bundle === undefined) {
    bundle = loadWithCodeCache({
      bundle: join(here, `${name}.cjs`),
      shipped: join(here, `${name}.cache`),
      userDir: enabled ? userCacheDir() : undefined,
      read: enabled,
      // Bare names and absolute URLs only (src/import-module.ts): they resolve from here as from dist/.
      importModule: (specifier) => import(specifier),
      // Loaded at every start otherwise, for commander's executable subcommands (never used), the
      // emulator, compare's worker threads, seedrandom's unused auto-seed and the shard hashes.
      lazyBuiltins: ['node:child_process', 'node:http', 'node:worker_threads', 'node:crypto', 'crypto'],
    });
    loaded.set(name, bundle);
  }
  return bundle;
}

function userCacheDir(): string {
  const dir = process.env['FLOODGATE_CODE_CACHE_DIR'];
  if (dir) return dir;
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? 'floodgate-code-cache' : `floodgate-code-cache-${uid}`);
}

/** Runs the CLI (see main.ts), then writes the user's code cache if this run had none. */
export async function main(argv: string[]): Promise<number> {
  let bundle: LoadedBundle;
  try {
    bundle = load(bundleFor(argv));
  } catch (e) {
    // A file of the package missing or unreadable: no stack, only what is wrong and what to do.
    process.stderr.write(
      `floodgate: cannot load ${escapeLine((e as Error)?.message ?? String(e))}: the installation is incomplete (reinstall Floodgate; in a clone, run npm run build)\n`,
    );
    return EXIT.bug;
  }
  const code = await (bundle.exports as typeof import('./main.ts')).main(argv);
  bundle.saveIfNeeded();
  return code;
}

/**
 * Writes the code `name`'s bundle compiled so far as `file` (the build makes dist/cli-run.cache
 * and dist/cli-main.cache with it, each after a run of its bundle).
 */
export function writeCodeCache(name: 'cli-run' | 'cli-main', file: string): void {
  load(name).writeCodeCache(file);
}
