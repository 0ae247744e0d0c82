/**
 * Loads a CommonJS bundle through a V8 code cache, so a process that has run it before skips most
 * of compiling it (Node 20 caches no ES module's code; module.enableCompileCache is Node 22+).
 *
 * The cache is a speed-up only: anything wrong with it (missing, stale, corrupt, written by another
 * Node, V8 or set of flags, a directory that cannot be written or is not the user's own) means the
 * bundle compiles as usual, silently. V8 crashes on a damaged cache rather than rejecting it, so a
 * cache is handed to V8 only when its header names this exact bundle, Node, architecture and flags
 * and its CRC-32 matches; V8 then still checks its version, flags and the source's length itself.
 *
 * A cache file is one header line, `floodgate-code-cache 1 <key> <bytes> <crc32>`, then V8's data.
 */

import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import * as zlib from 'node:zlib';

const MAGIC = 'floodgate-code-cache 1';

/** CRC-32 of bytes: zlib.crc32 (Node 20.15+); without it there is no cache at all. */
const crc32: ((data: Uint8Array | string) => number) | undefined = (
  zlib as { crc32?: (data: Uint8Array | string) => number }
).crc32;

export interface CodeCacheOptions {
  /** The CommonJS bundle to run. */
  bundle: string;
  /** A cache made when the bundle was built (tried after the user's own). */
  shipped?: string;
  /** The user's cache directory: read, and written when no cache was accepted. Absent: none. */
  userDir?: string;
  /** False: compile without any cache (a cache can still be written with writeCodeCache). */
  read?: boolean;
  /** `import()` for the bundle (from an ES module: a script has no loader of its own). */
  importModule: (specifier: string) => Promise<unknown>;
  /**
   * Node built-ins the bundle gets as stand-ins that load the module when first used (see
   * lazyModule): those only some commands need, which would otherwise load at every start.
   */
  lazyBuiltins?: readonly string[];
}

export interface LoadedBundle {
  /** What the bundle put in `module.exports`. */
  exports: unknown;
  /** Which cache V8 accepted, if any. */
  used: 'user' | 'shipped' | undefined;
  /** Writes the user's cache if none was accepted (call after a run, so it covers what ran). */
  saveIfNeeded(): void;
  /** Writes a cache of the code compiled so far to `file` (the build's shipped cache, readable by all). */
  writeCodeCache(file: string): void;
}

/**
 * Compiles and runs `bundle`: the text of one function expression, `(function (exports, require,
 * module, __filename, __dirname, __floodgateImport) { ... })` (Node's CommonJS wrapper, which
 * scripts/build.mjs writes into the file so that V8 compiles the file's text, not a copy), and
 * calls it as Node calls a CommonJS module. A script has no loader for `import()` (and code
 * from a cache would lose one), so the bundle imports through `__floodgateImport`, the caller's
 * `importModule` (see src/import-module.ts). On a Node without zlib.crc32 (before 20.15) the bundle
 * compiles without a cache.
 */
export function loadWithCodeCache(options: CodeCacheOptions): LoadedBundle {
  const { bundle } = options;
  const bytes = readFileSync(bundle);
  // UTF-8 (the build writes ASCII, which V8 holds one byte a character): measured, a Latin-1 read
  // (an external string at this size) starts slower.
  const source = bytes.toString('utf8');
  if (crc32 === undefined)
    return run(bundle, new vm.Script(source, { filename: bundle }), undefined, options);

  const key = cacheKey(bytes);
  const userFile = options.userDir === undefined ? undefined : userCacheFile(options.userDir, bundle);
  const candidates: { kind: 'user' | 'shipped'; file: string }[] = [];
  if (options.read !== false) {
    if (userFile !== undefined && options.userDir !== undefined && isPrivateDir(options.userDir))
      candidates.push({ kind: 'user', file: userFile });
    if (options.shipped !== undefined) candidates.push({ kind: 'shipped', file: options.shipped });
  }
  let tried: (typeof candidates)[number] | undefined;
  let cachedData: Buffer | undefined;
  for (const candidate of candidates) {
    cachedData = readCacheFile(candidate.file, key);
    if (cachedData !== undefined) {
      tried = candidate;
      break;
    }
  }

  const script = new vm.Script(source, { filename: bundle, cachedData });
  const used = tried !== undefined && script.cachedDataRejected === false ? tried.kind : undefined;
  const loaded = run(bundle, script, used, options);
  let saved = false;
  return {
    ...loaded,
    saveIfNeeded() {
      if (saved || used !== undefined || userFile === undefined || options.userDir === undefined) return;
      saved = true;
      try {
        mkdirSync(options.userDir, { recursive: true, mode: 0o700 });
        if (!isPrivateDir(options.userDir)) return;
        writeCacheFile(userFile, key, script.createCachedData());
        pruneUserCaches(options.userDir, userFile);
      } catch {
        // A cache that cannot be written is only a slower next start.
      }
    },
    writeCodeCache(file: string) {
      writeCacheFile(file, key, script.createCachedData(), 0o644);
    },
  };
}

/** Runs the bundle's function as Node runs a CommonJS module; no cache to write. */
function run(
  bundle: string,
  script: vm.Script,
  used: LoadedBundle['used'],
  options: CodeCacheOptions,
): LoadedBundle {
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    lazyRequire(createRequire(bundle), new Set(options.lazyBuiltins)),
    module,
    bundle,
    dirname(bundle),
    options.importModule,
  );
  return { exports: module.exports, used, saveIfNeeded() {}, writeCodeCache() {} };
}

/** `require`, with the modules named in `lazy` given as stand-ins (lazyModule). */
function lazyRequire(require: NodeJS.Require, lazy: ReadonlySet<string>): NodeJS.Require {
  if (lazy.size === 0) return require;
  const stands = new Map<string, object>();
  const wrapped = ((id: string) => {
    if (!lazy.has(id)) return require(id);
    let stand = stands.get(id);
    if (stand === undefined) stands.set(id, (stand = lazyModule(() => require(id) as object)));
    return stand;
  }) as NodeJS.Require;
  return Object.assign(wrapped, require, { resolve: require.resolve });
}

/**
 * A stand-in for a module that loads it on first use: reading a property (what the bundle does
 * with a built-in: `childProcess.spawn(...)`, `(0, import_node_http.createServer)(...)`), asking
 * for its keys or descriptors all answer from the loaded module.
 */
export function lazyModule(load: () => object): object {
  let loaded: object | undefined;
  const real = () => (loaded ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => Reflect.get(real(), key),
      has: (_, key) => Reflect.has(real(), key),
      ownKeys: () => Reflect.ownKeys(real()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(real(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
}

/**
 * What a cache must have been made for: this bundle (its length and CRC-32), this Node and
 * architecture, and these Node and V8 options (V8 rejects a cache made under other flags).
 */
export function cacheKey(bundleBytes: Uint8Array): string {
  const flags = JSON.stringify([process.execArgv, process.env['NODE_OPTIONS'] ?? '']);
  return [
    bundleBytes.length,
    hex(crc32!(bundleBytes)),
    process.version,
    process.arch,
    hex(crc32!(flags)),
  ].join('-');
}

/**
 * How many cache files the user's directory keeps: one per install location, Node and flags, so
 * each `npx` install or Node upgrade adds one; beyond this the least recently written go.
 */
export const USER_CACHES_KEPT = 8;

/** A temporary file older than this was left by a process that died while writing (ms). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Deletes the user's oldest cache files beyond USER_CACHES_KEPT (by last write; `keep`, just
 * written, always stays) and temporary files a killed process left. Only names this module
 * writes are touched, and only regular files (never a link's target).
 */
export function pruneUserCaches(dir: string, keep: string, now = Date.now()): void {
  const caches: { file: string; mtimeMs: number }[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('cli-')) continue;
    const file = join(dir, name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(file);
    } catch {
      continue; // Another process pruned it first.
    }
    if (!st.isFile()) continue;
    if (name.endsWith('.tmp')) {
      if (now - st.mtimeMs > STALE_TEMP_MS) removeQuietly(file);
    } else if (name.endsWith('.cache') && file !== keep) caches.push({ file, mtimeMs: st.mtimeMs });
  }
  caches.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of caches.slice(USER_CACHES_KEPT - 1)) removeQuietly(old.file);
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already, or not ours to remove: either way a cache, not a result.
  }
}

/** One file per bundle location, Node and flags: a rebuild replaces the file, never adds one. */
function userCacheFile(dir: string, bundle: string): string {
  const flags = JSON.stringify([bundle, process.execArgv, process.env['NODE_OPTIONS'] ?? '']);
  return join(dir, `cli-${process.version}-${process.arch}-${hex(crc32!(flags))}.cache`);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * The V8 data of `file` if its header names `key` and its CRC-32 holds; else undefined. The header
 * is read first, so a stale cache (an older build's) costs one small read.
 */
export function readCacheFile(file: string, key: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(512);
    const got = readSync(fd, head, 0, head.length, 0);
    const eol = head.subarray(0, got).indexOf(10);
    if (eol < 0) return undefined;
    const [magic, version, fileKey, length, crc] = head.toString('latin1', 0, eol).split(' ');
    if (`${magic} ${version}` !== MAGIC || fileKey !== key) return undefined;
    const size = Number(length);
    if (!Number.isSafeInteger(size) || size <= 0 || fstatSync(fd).size !== eol + 1 + size) return undefined;
    const data = Buffer.allocUnsafe(size);
    if (readSync(fd, data, 0, size, eol + 1) !== size || hex(crc32!(data)) !== crc) return undefined;
    return data;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Writes a cache file whole or not at all: a temporary file renamed over the old one. */
export function writeCacheFile(file: string, key: string, data: Buffer, mode = 0o600): void {
  const header = Buffer.from(`${MAGIC} ${key} ${data.length} ${hex(crc32!(data))}\n`, 'latin1');
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([header, data]), { mode, flag: 'wx' });
    renameSync(temp, file);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // Never created.
    }
    throw e;
  }
}

/**
 * Whether `dir` is a real directory that only this user can write: a cache is code, so one that
 * another user could have planted (a shared /tmp) is never read.
 */
export function isPrivateDir(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return false;
    const uid = process.getuid?.();
    return uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0);
  } catch {
    return false;
  }
}
