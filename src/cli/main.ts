/**
 * The floodgate CLI with every command (program.ts has the program around them): what the tests
 * use, and what the built CLI runs for every command line but `floodgate run`, which starts from
 * run-entry.ts (the run command alone). The CLI is the only place that reads argv and env, writes
 * stdout/stderr and sets the exit code.
 */
// First: its settings must hold before any module below builds a schema.
import './zod-config.ts';
import type { Command } from 'commander';
import { calibrateCommand } from './commands/calibrate.ts';
import { capacityCommand } from './commands/capacity.ts';
import { compareCommand } from './commands/compare.ts';
import { emulateCommand } from './commands/emulate.ts';
import { importCommand } from './commands/import.ts';
import { k6Command } from './commands/k6.ts';
import { mergeCommand } from './commands/merge.ts';
import { observeCommand } from './commands/observe.ts';
import { runCommand } from './commands/run.ts';
import { schemaCommand } from './commands/schema.ts';
import { sweepCommand } from './commands/sweep.ts';
import { validateCommand } from './commands/validate.ts';
import { createProgram, runProgram } from './program.ts';

export { escapedOutput } from './program.ts';

/** Every command, in the order the help lists them. */
const COMMANDS: readonly (() => Command)[] = [
  runCommand,
  validateCommand,
  compareCommand,
  capacityCommand,
  sweepCommand,
  mergeCommand,
  schemaCommand,
  k6Command,
  emulateCommand,
  observeCommand,
  calibrateCommand,
  importCommand,
];

export function buildProgram(argv: readonly string[] = []): Command {
  return createProgram(argv, COMMANDS);
}

export async function main(argv: string[]): Promise<number> {
  return runProgram(argv, () => buildProgram(argv));
}
