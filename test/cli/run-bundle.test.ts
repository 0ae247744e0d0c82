/**
 * The built CLI starts `floodgate run` from its own bundle (dist/cli-run.cjs, src/cli/run-entry.ts)
 * and every other command line from dist/cli-main.cjs (src/cli/main.ts): the two answer a run
 * alike, and a bundle that cannot be loaded is one line on stderr, not a stack.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main as fullMain } from '../../src/cli/main.ts';
import { main as runMain } from '../../src/cli/run-entry.ts';
import { bundleFor } from '../../src/cli/start.ts';
import { ROOT } from './process.ts';

const exec = promisify(execFile);

/** What `main(argv)` returns and writes, with process.exitCode left as it was. */
async function captured(main: (argv: string[]) => Promise<number>, argv: string[]) {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  const exitCode = process.exitCode;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.exitCode = exitCode;
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('the run bundle', () => {
  it('is the bundle for a command line that names run, and only for that', () => {
    expect(bundleFor(['run', 'scenarios/mmc.yaml'])).toBe('cli-run');
    expect(bundleFor(['run', '--help'])).toBe('cli-run');
    for (const argv of [[], ['--help'], ['help', 'run'], ['validate', 'run'], ['runs'], ['--run']])
      expect(bundleFor(argv)).toBe('cli-main');
  });

  it('initializes every module at load, none lazily (what an import() of a module of the project makes)', () => {
    // esbuild wraps each module an import() reaches (for a report: the engine and the gateway) in a
    // lazy initializer, whose variables V8 cannot treat as constants: a 2M-arrival run took 8% longer.
    for (const bundle of ['dist/cli-run.cjs', 'dist/cli-main.cjs'])
      expect(readFileSync(join(ROOT, bundle), 'utf8'), bundle).not.toContain('__esm(');
  });

  it.each([
    [['run', '--help']],
    [['run']],
    [['run', '--no-such-flag', 'scenarios/mmc.yaml']],
    [['run', 'no/such/scenario.yaml']],
    [['run', 'scenarios/mmc.yaml', '--set', 'duration=-1s']],
    [['run', 'scenarios/mmc.yaml', '--set', 'duration=1m', '--json']],
  ])(
    'answers %j as the CLI with every command does',
    async (argv) => {
      const cwd = process.cwd();
      process.chdir(ROOT);
      try {
        const full = await captured(fullMain, argv);
        const run = await captured(runMain, argv);
        expect(run).toEqual(full);
      } finally {
        process.chdir(cwd);
      }
    },
    60_000,
  );
});

describe('a bundle that cannot be loaded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'floodgate-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The built CLI copied into `dir` (bin/, dist/ and package.json), without dist/cli-run.cjs. */
  async function floodgate(args: string[]) {
    try {
      const { stdout, stderr } = await exec(process.execPath, [join(dir, 'bin/floodgate.js'), ...args], {
        cwd: ROOT,
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      return e as { code: number; stdout: string; stderr: string };
    }
  }

  it('is one line naming the file and what to do, exit 70; the other commands still run', async () => {
    for (const part of ['bin', 'dist', 'package.json'])
      cpSync(join(ROOT, part), join(dir, part), { recursive: true });
    rmSync(join(dir, 'dist/cli-run.cjs'));
    const run = await floodgate(['run', 'scenarios/mmc.yaml', '--set', 'duration=1m', '--quiet']);
    expect(run.code).toBe(70);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^floodgate: cannot load [^\n]*cli-run\.cjs[^\n]*: the installation is incomplete \(reinstall Floodgate; in a clone, run npm run build\)\n$/,
    );
    const validate = await floodgate(['validate', 'scenarios/mmc.yaml']);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('ok');
  }, 60_000);
});

describe('values in a unit (one shared schema for each parser, noun and bounds)', () => {
  it('keep each field its own bounds, in one scenario and across runs of main', async () => {
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const check = (set: string[]) =>
        captured(fullMain, ['validate', 'scenarios/mmc.yaml', ...set.flatMap((s) => ['--set', s])]);
      // warmup takes any duration from 0, duration and attemptTimeout one above 0.
      expect((await check(['warmup=0s'])).code).toBe(0);
      const both = await check(['duration=0s', 'warmup=0s', 'gateway.attemptTimeout=0s']);
      expect(both.code).toBe(1);
      expect(both.err).toContain('duration: expected a duration greater than 0');
      expect(both.err).not.toContain('warmup');
      const timeout = await check(['gateway.attemptTimeout=0s', 'warmup=400d']);
      expect(timeout.err).toContain('gateway.attemptTimeout: expected a duration greater than 0');
      expect(timeout.err).toContain('warmup: expected a duration <= 365d');
    } finally {
      process.chdir(cwd);
    }
  });
});
