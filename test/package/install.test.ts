/**
 * The package as users install it: `npm pack`, then the tarball installed into an empty project
 * with the npm cache only (`--offline`, and a registry on a closed local port besides, so nothing
 * can leave the machine), then its bin, its ESM import and its types used from that project.
 *
 * Offline: `npm install <tarball>` would ask the registry for the dependencies' metadata, which the
 * repository's `npm ci` never caches (it installs from the lockfile). So the project gets a
 * lockfile of its own: the tarball by file and integrity, and the production entries of this
 * repository's package-lock.json; `npm ci --offline` then takes every dependency from the cache
 * that this repository's `npm ci` filled.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded), never throwing: the exit code is part of what we assert. */
function sh(command: string, args: string[], cwd: string): Promise<Exit> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd, env: cleanEnv(), timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The environment without what `npm test` sets for this package (its prefix, its lifecycle). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|INIT_CWD$)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

function ok(r: Exit): string {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** A lockfile that installs the tarball and exactly the dependencies this repository locked. */
async function consumerLockfile(tarball: string, integrity: string): Promise<object> {
  const repoLock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; version?: string; resolved?: string }>;
  };
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const packages: Record<string, object> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { [pkg.name]: `file:${tarball}` } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (path === '' || entry.dev) continue;
    // The cache is looked up by integrity; the URL (omitted by omit-lockfile-registry-resolved)
    // only has to be well formed.
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const resolved =
      entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
    packages[path] = { ...entry, resolved };
  }
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

const POLICY = (from: string) => `import { definePolicy, reject, z } from '${from}';

export default definePolicy({
  name: 'first-target',
  kind: 'routing',
  params: z.strictObject({ index: z.number().int().min(0).default(0) }),
  create: (params) => ({ route: (_req, targets) => targets[params.index] ?? reject('no-target') }),
});
`;

let tmp: string | undefined;
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('packs, installs offline into an empty project, and its bin, import and types work', {
  timeout: 240_000,
}, async () => {
  tmp = await mkdtemp(join(tmpdir(), 'floodgate-package-'));

  // `npm test` built dist/ (the JavaScript) before the tests; the types are built here. The pack
  // skips prepack, which would rebuild dist/cli.js under the CLI tests running beside this one.
  if (!existsSync(join(ROOT, 'dist/cli.js')) || !existsSync(join(ROOT, 'dist/index.js')))
    ok(await sh(process.execPath, ['scripts/build.mjs'], ROOT));
  ok(await sh(process.execPath, [TSC, '-p', 'tsconfig.build.json'], ROOT));
  const packed = JSON.parse(
    ok(await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT)),
  ) as { filename: string; files: { path: string }[] }[];
  const files = packed[0]!.files.map((f) => f.path);
  for (const needed of [
    'bin/floodgate.js',
    'dist/cli.js',
    'dist/index.js',
    'dist/compare-worker.js',
    'dist/report-client.js',
    'dist/types/src/index.d.ts',
    'k6/runtime/entry-stock.ts',
    'scenarios/mmc.yaml',
    'LICENSE',
  ])
    expect(files).toContain(needed);
  expect(files.filter((f) => /^(test|docs|\.ci|scratch|reports)\/|\.map$|^src\/testing\//.test(f))).toEqual(
    [],
  );

  const tarball = packed[0]!.filename;
  const project = join(tmp, 'project');
  await mkdir(project);
  await copyFile(join(tmp, tarball), join(project, tarball));
  const integrity = `sha512-${createHash('sha512')
    .update(await readFile(join(project, tarball)))
    .digest('base64')}`;
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      version: '1.0.0',
      private: true,
      type: 'module',
      dependencies: { [pkg.name]: `file:${tarball}` },
    }),
  );
  await writeFile(
    join(project, 'package-lock.json'),
    JSON.stringify(await consumerLockfile(tarball, integrity)),
  );
  const install = await sh(
    'npm',
    ['ci', '--offline', '--registry', 'http://127.0.0.1:9/', '--no-audit', '--no-fund'],
    project,
  );
  if (install.code !== 0)
    throw new Error(
      `npm ci --offline of the tarball failed (the npm cache needs this repository's dependencies: run \`npm ci\` first)\n${install.stderr}`,
    );

  // The bin, as `npx` finds it and as the link npm makes (a global install makes the same link).
  expect(ok(await sh('npx', ['--no-install', 'floodgate', '--version'], project)).trim()).toBe(pkg.version);
  const bin = join(project, 'node_modules/.bin/floodgate');
  await copyFile(join(project, 'node_modules', pkg.name, 'scenarios/mmc.yaml'), join(project, 'mmc.yaml'));
  expect(ok(await sh(bin, ['validate', 'mmc.yaml'], project))).toMatch(/^mmc\.yaml: ok \(mmc: /);

  // A user policy imports the package by its name, or by the old unscoped one.
  await writeFile(join(project, 'first-target.ts'), POLICY(pkg.name));
  await writeFile(join(project, 'legacy.ts'), POLICY('floodgate'));
  for (const policy of ['./first-target.ts', './legacy.ts']) {
    const run = JSON.parse(
      ok(
        await sh(
          bin,
          [
            'run',
            'mmc.yaml',
            '--json',
            '--set',
            'duration=2m',
            '--set',
            `gateway.routing={policy: ${policy}}`,
          ],
          project,
        ),
      ),
    ) as { requests: { completed: number } };
    expect(run.requests.completed).toBeGreaterThan(0);
  }

  // What the CLI reads from its own package at run time: the compare worker (which loads the user
  // policy too), the report's browser code, the k6 runtime sources.
  const compare = ok(
    await sh(
      bin,
      [
        'compare',
        'mmc.yaml',
        '--policies',
        'round-robin,./first-target.ts',
        '--seeds',
        '2',
        '--jobs',
        '2',
        '--set',
        'duration=2m',
        '--json',
      ],
      project,
    ),
  );
  expect((JSON.parse(compare) as { entries: unknown[] }).entries).toHaveLength(2);
  ok(await sh(bin, ['run', 'mmc.yaml', '--set', 'duration=2m', '--report', 'run.html'], project));
  const client = await readFile(join(project, 'node_modules', pkg.name, 'dist/report-client.js'), 'utf8');
  expect(await readFile(join(project, 'run.html'), 'utf8')).toContain(client.trim());
  ok(await sh(bin, ['k6', 'mmc.yaml', '--out', 'load.js'], project));
  expect(await readFile(join(project, 'load.js'), 'utf8')).toContain('from "k6/http"');

  // Plain Node ESM.
  await writeFile(
    join(project, 'api.mjs'),
    `import { definePolicy, loadScenarioFile, simulate } from '${pkg.name}';
const loaded = await loadScenarioFile('mmc.yaml', { overrides: [{ path: 'duration', value: '2m' }] });
const result = await simulate(loaded, { seed: 11 });
console.log(JSON.stringify({ definePolicy: typeof definePolicy, durationMs: result.durationMs }));
`,
  );
  expect(JSON.parse(ok(await sh(process.execPath, ['api.mjs'], project)))).toEqual({
    definePolicy: 'function',
    durationMs: 120_000,
  });

  // TypeScript with the tsconfig `tsc --init` writes: the policy and a program type-check...
  ok(await sh(process.execPath, [TSC, '--init'], project));
  await writeFile(
    join(project, 'main.ts'),
    `import { loadScenarioFile, type RunResult, simulate } from '${pkg.name}';

const result: RunResult = await simulate(await loadScenarioFile('mmc.yaml'), { seed: 11 });
export const wait: number = result.providers['server']?.queueWait.mean ?? 0;
`,
  );
  await rm(join(project, 'legacy.ts'));
  const typecheck = await sh(process.execPath, [TSC, '--noEmit', '-p', '.'], project);
  expect(typecheck.stdout).toBe('');
  expect(typecheck.code).toBe(0);
  // ...against the real declarations: a mistake in a policy is caught.
  await writeFile(
    join(project, 'first-target.ts'),
    POLICY(pkg.name).replace("kind: 'routing'", "kind: 'routin'"),
  );
  const wrong = await sh(process.execPath, [TSC, '--noEmit', '-p', '.'], project);
  expect(wrong.code).toBe(2);
  expect(wrong.stdout).toContain(
    `first-target.ts(5,3): error TS2820: Type '"routin"' is not assignable to type 'PolicyKind'. Did you mean '"routing"'?`,
  );
});
