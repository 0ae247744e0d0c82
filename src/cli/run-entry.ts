/**
 * The built CLI for `floodgate run` (scripts/build.mjs bundles it as dist/cli-run.cjs; start.ts
 * loads it when the first argument is `run`): main.ts's `main` with the run command alone, so a run
 * neither loads nor compiles the other commands' modules (dist/cli-main.cjs has them all).
 */
// First: its settings must hold before any module below builds a schema.
import './zod-config.ts';
import { runCommand } from './commands/run.ts';
import { createProgram, runProgram } from './program.ts';

export async function main(argv: string[]): Promise<number> {
  return runProgram(argv, () => createProgram(argv, [runCommand]));
}
