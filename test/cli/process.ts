/**
 * The built CLI as a process, for tests that read what users see: exit code, stdout and stderr.
 * Not a test file itself (no `.test.ts`): shared by the CLI tests.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const ROOT = join(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/floodgate.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `floodgate ARGS` in `cwd` (the repository by default); a non-zero exit is a result, not a throw. */
export async function runCli(args: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliRun;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
