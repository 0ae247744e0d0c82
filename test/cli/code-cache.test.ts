/**
 * The V8 code cache the CLI starts with (src/cli/code-cache.ts, src/cli/start.ts) is a speed-up
 * only: a missing, stale, corrupt, foreign or unwritable cache never changes what a run does. In
 * process with a small bundle, then through the built CLI (bin/floodgate.js, built by `npm test`).
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cacheKey,
  type LoadedBundle,
  lazyModule,
  loadWithCodeCache,
  pruneUserCaches,
  readCacheFile,
  USER_CACHES_KEPT,
  writeCacheFile,
} from '../../src/cli/code-cache.ts';
import { BIN, ROOT } from './process.ts';

const exec = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'floodgate-code-cache-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let dirs = 0;
const freshDir = () => mkdtempSync(join(tmp, `d${dirs++}-`));

/**
 * A small bundle as scripts/build.mjs writes the CLI's (one function expression) with functions to compile; `answer(n)` runs them. Each is a new source
 * (a comment with a serial number), so no test reuses a script V8 compiled for another.
 */
let bundles = 0;
function writeBundle(name: string, comment = ''): string {
  const file = join(freshDir(), name);
  const fns = Array.from(
    { length: 50 },
    (_, i) => `function f${i}(x) { return x * ${i + 1} + [${i}, x].map((y) => y + 1).length; }`,
  );
  writeFileSync(
    file,
    `(function (exports, require, module, __filename, __dirname, __floodgateImport) { // bundle ${bundles++} ${comment}
${fns.join('\n')}
exports.answer = (n) => { let s = 0; for (let i = 0; i < 50; i++) s += [${fns.map((_, i) => `f${i}`).join(', ')}][i](n); return s; };
exports.load = (specifier) => __floodgateImport(specifier);
exports.file = __filename;
})
`,
  );
  return file;
}

const importModule = (specifier: string) => import(specifier);

function load(bundle: string, userDir: string | undefined, shipped?: string): LoadedBundle {
  return loadWithCodeCache({ bundle, userDir, shipped, importModule });
}

const answer = (loaded: LoadedBundle) => (loaded.exports as { answer: (n: number) => number }).answer(3);

/** The only cache file in `dir`. */
function cacheFileIn(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cache'));
  expect(files).toHaveLength(1);
  return join(dir, files[0]!);
}

describe('loadWithCodeCache', () => {
  it('compiles without a cache, writes one after the run, and the next load uses it', () => {
    const bundle = writeBundle('a.cjs');
    const dir = join(freshDir(), 'cache');
    const first = load(bundle, dir);
    expect(first.used).toBeUndefined();
    const expected = answer(first);
    expect((first.exports as { file: string }).file).toBe(bundle);
    first.saveIfNeeded();
    const file = cacheFileIn(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const second = load(bundle, dir);
    expect(second.used).toBe('user');
    expect(answer(second)).toBe(expected);
    second.saveIfNeeded();
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('passes its import() to the bundle', async () => {
    const loaded = load(writeBundle('i.cjs'), undefined);
    const path = (
      await (loaded.exports as { load: (s: string) => Promise<{ sep: string }> }).load('node:path')
    ).sep;
    expect(path).toBe('/');
  });

  it.each([
    [
      'a corrupt payload',
      (b: Buffer) => Buffer.concat([b.subarray(0, b.length - 64), Buffer.alloc(64, 0x5a)]),
    ],
    [
      'a payload of zeros',
      (b: Buffer) =>
        Buffer.concat([b.subarray(0, b.indexOf(10) + 1), Buffer.alloc(b.length - b.indexOf(10) - 1)]),
    ],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['an empty file', () => Buffer.alloc(0)],
    ['a header alone', (b: Buffer) => b.subarray(0, b.indexOf(10) + 1)],
    [
      'another Node',
      (b: Buffer) => Buffer.from(b.toString('latin1').replace(process.version, 'v99.0.0'), 'latin1'),
    ],
  ])('ignores %s, runs the same, and replaces it', (_, damage) => {
    const bundle = writeBundle('b.cjs');
    const dir = join(freshDir(), 'cache');
    const first = load(bundle, dir);
    const expected = answer(first);
    first.saveIfNeeded();
    const file = cacheFileIn(dir);
    const damaged = damage(readFileSync(file));
    writeFileSync(file, damaged);

    const again = load(bundle, dir);
    expect(again.used).toBeUndefined();
    expect(answer(again)).toBe(expected);
    again.saveIfNeeded();
    expect(readFileSync(file).equals(damaged)).toBe(false);
    expect(load(bundle, dir).used).toBe('user');
  });

  it('runs the same when V8 rejects a cache whose header fits (made from another source)', () => {
    // V8 checks a cache's source by its length only: a source of another length is rejected. (The
    // bundle is loaded here for the first time: V8 reuses a script this process compiled already.)
    const other = writeBundle('c.cjs', 'longer');
    const otherDir = join(freshDir(), 'cache');
    const expected = answer(load(other, undefined));
    load(other, otherDir).saveIfNeeded();
    const foreign = readCacheFile(cacheFileIn(otherDir), cacheKey(readFileSync(other)));
    expect(foreign).toBeDefined();

    const bundle = writeBundle('c.cjs');
    const shipped = join(freshDir(), 'c.cache');
    writeCacheFile(shipped, cacheKey(readFileSync(bundle)), foreign!);
    const loaded = load(bundle, undefined, shipped);
    expect(loaded.used).toBeUndefined();
    expect(answer(loaded)).toBe(expected);
  });

  it('uses a stale cache of an earlier build of the bundle never', () => {
    const bundle = writeBundle('s.cjs');
    const dir = join(freshDir(), 'cache');
    load(bundle, dir).saveIfNeeded();
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace(/\}\)\n$/, 'exports.more = 1;\n})\n'));
    const rebuilt = load(bundle, dir);
    expect(rebuilt.used).toBeUndefined();
    expect((rebuilt.exports as { more: number }).more).toBe(1);
  });

  it('uses the shipped cache when the user has none, and then writes none', () => {
    const bundle = writeBundle('d.cjs');
    const shipped = join(freshDir(), 'd.cache');
    const maker = load(bundle, undefined);
    const expected = answer(maker);
    maker.writeCodeCache(shipped);

    const dir = join(freshDir(), 'cache');
    const loaded = load(bundle, dir, shipped);
    expect(loaded.used).toBe('shipped');
    expect(answer(loaded)).toBe(expected);
    loaded.saveIfNeeded();
    expect(existsSync(dir)).toBe(false);
  });

  it('runs when the cache directory cannot be made, and writes nothing', () => {
    const bundle = writeBundle('e.cjs');
    const notADir = join(freshDir(), 'file');
    writeFileSync(notADir, 'x');
    const loaded = load(bundle, join(notADir, 'cache'));
    expect(loaded.used).toBeUndefined();
    expect(answer(loaded)).toBeGreaterThan(0);
    expect(() => loaded.saveIfNeeded()).not.toThrow();
    expect(readFileSync(notADir, 'utf8')).toBe('x');
  });

  it.skipIf(process.getuid === undefined)('neither reads nor writes a directory others can write', () => {
    const bundle = writeBundle('f.cjs');
    const dir = join(freshDir(), 'cache');
    load(bundle, dir).saveIfNeeded();
    expect(load(bundle, dir).used).toBe('user');
    chmodSync(dir, 0o777);
    const loaded = load(bundle, dir);
    expect(loaded.used).toBeUndefined();
    rmSync(cacheFileIn(dir));
    loaded.saveIfNeeded();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('pruneUserCaches', () => {
  /** A file in `dir` last written `ageS` seconds before `now`. */
  const fileAged = (dir: string, name: string, now: number, ageS: number) => {
    const file = join(dir, name);
    writeFileSync(file, 'x');
    utimesSync(file, (now - ageS * 1000) / 1000, (now - ageS * 1000) / 1000);
    return file;
  };

  it('keeps the newest caches and the one just written, and removes stale temporary files', () => {
    const dir = freshDir();
    const now = Date.now();
    // Twelve install locations' caches, cli-0 the newest; the one just written is the oldest.
    for (let i = 0; i < 12; i++) fileAged(dir, `cli-${i}.cache`, now, 100 + i);
    const keep = fileAged(dir, 'cli-just-written.cache', now, 5000);
    fileAged(dir, 'cli-0.cache.123.abc.tmp', now, 2 * 3600);
    fileAged(dir, 'cli-1.cache.456.def.tmp', now, 10);
    fileAged(dir, 'notes.txt', now, 9999);
    pruneUserCaches(dir, keep, now);
    const kept = Array.from({ length: USER_CACHES_KEPT - 1 }, (_, i) => `cli-${i}.cache`);
    expect(readdirSync(dir).sort()).toEqual(
      [...kept, 'cli-1.cache.456.def.tmp', 'cli-just-written.cache', 'notes.txt'].sort(),
    );
  });

  it('never follows or removes a link, and leaves fewer caches than it keeps alone', () => {
    const dir = freshDir();
    const elsewhere = freshDir();
    const target = fileAged(elsewhere, 'precious.cache', Date.now(), 0);
    symlinkSync(target, join(dir, 'cli-link.cache'));
    const keep = fileAged(dir, 'cli-a.cache', Date.now(), 0);
    pruneUserCaches(dir, keep, Date.now() + 10 * 3600_000);
    expect(readdirSync(dir).sort()).toEqual(['cli-a.cache', 'cli-link.cache']);
    expect(readFileSync(target, 'utf8')).toBe('x');
  });

  it('runs after each cache the loader writes', () => {
    const dir = join(freshDir(), 'cache');
    for (let i = 0; i < USER_CACHES_KEPT + 3; i++) load(writeBundle(`p${i}.cjs`), dir).saveIfNeeded();
    expect(readdirSync(dir).filter((f) => f.endsWith('.cache'))).toHaveLength(USER_CACHES_KEPT);
  });
});

describe('lazyModule', () => {
  it('loads the module when first used, and answers as the module', () => {
    let loads = 0;
    const real = { f: (x: number) => x + 1, n: 2 };
    const stand = lazyModule(() => {
      loads++;
      return real;
    }) as typeof real;
    expect(loads).toBe(0);
    expect(stand.f(1)).toBe(2);
    expect('n' in stand).toBe(true);
    expect(Object.keys(stand)).toEqual(['f', 'n']);
    expect({ ...stand }).toEqual(real);
    expect(loads).toBe(1);
  });
});

describe('the built CLI', () => {
  const args = ['run', 'scenarios/mmc.yaml', '--set', 'duration=10m', '--json'];

  async function cli(env: Record<string, string>, nodeOptions: string[] = []) {
    const { stdout, stderr } = await exec(process.execPath, [...nodeOptions, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr };
  }

  it('writes the same result with no cache, a new one, a corrupt one, and an unwritable directory', async () => {
    const reference = await cli({ FLOODGATE_CODE_CACHE: 'off' });
    expect(JSON.parse(reference.stdout).requests.completed).toBeGreaterThan(0);

    // Node options the build's cache was not made with: this user's own cache is written.
    const dir = join(freshDir(), 'cache');
    const options = ['--no-deprecation'];
    expect(await cli({ FLOODGATE_CODE_CACHE_DIR: dir }, options)).toEqual(reference);
    const file = cacheFileIn(dir);
    expect(await cli({ FLOODGATE_CODE_CACHE_DIR: dir }, options)).toEqual(reference);

    const bytes = readFileSync(file);
    bytes.fill(0x5a, bytes.length >> 1, (bytes.length >> 1) + 256);
    writeFileSync(file, bytes);
    expect(await cli({ FLOODGATE_CODE_CACHE_DIR: dir }, options)).toEqual(reference);
    expect(readFileSync(file).equals(bytes)).toBe(false);

    const notADir = join(freshDir(), 'file');
    writeFileSync(notADir, 'x');
    expect(await cli({ FLOODGATE_CODE_CACHE_DIR: join(notADir, 'cache') }, options)).toEqual(reference);
  }, 120_000);

  it('starts a run without the built-ins only other commands need', async () => {
    const probe = join(freshDir(), 'probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => process.stderr.write(JSON.stringify(process.moduleLoadList)));\n",
    );
    const { stderr } = await cli({}, ['--require', probe]);
    const modules = JSON.parse(stderr) as string[];
    expect(modules).toContain('NativeModule fs');
    for (const builtin of ['http', 'child_process', 'worker_threads', 'crypto'])
      expect(modules).not.toContain(`NativeModule ${builtin}`);
  }, 60_000);

  it('loads a user policy module from the cached CLI', async () => {
    const dir = join(freshDir(), 'cache');
    const policy = ['--set', 'gateway.routing={policy: ../policies/cost-aware.ts}'];
    const run = (env: Record<string, string>) =>
      exec(process.execPath, [BIN, ...args, ...policy], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
    const reference = await run({ FLOODGATE_CODE_CACHE: 'off' });
    expect(JSON.parse(reference.stdout).requests.completed).toBeGreaterThan(0);
    for (let i = 0; i < 2; i++)
      expect((await run({ FLOODGATE_CODE_CACHE_DIR: dir })).stdout).toBe(reference.stdout);
  }, 120_000);
});
