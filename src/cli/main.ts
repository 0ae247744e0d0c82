#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { FloodgateError, USAGE_CODES } from '../errors.ts';
/**
 * The floodgate CLI. The only place that reads argv and env, writes stdout/stderr and sets the
 * exit code (see exit-codes.ts). Known errors print one line; anything else is a bug and prints
 * its stack.
 */
import { escapeLines } from '../text/quote.ts';
import { calibrateCommand } from './commands/calibrate.ts';
import { capacityCommand } from './commands/capacity.ts';
import { compareCommand } from './commands/compare.ts';
import { emulateCommand } from './commands/emulate.ts';
import { k6Command } from './commands/k6.ts';
import { observeCommand } from './commands/observe.ts';
import { runCommand } from './commands/run.ts';
import { schemaCommand } from './commands/schema.ts';
import { sweepCommand } from './commands/sweep.ts';
import { validateCommand } from './commands/validate.ts';
import { EXIT } from './exit-codes.ts';
import { formatError } from './output.ts';

export function buildProgram(): Command {
  const program = new Command('floodgate')
    .description(
      'Traffic simulator and load-testing framework for LLM gateway routing and admission policies.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(runCommand().exitOverride());
  program.addCommand(validateCommand().exitOverride());
  program.addCommand(compareCommand().exitOverride());
  program.addCommand(capacityCommand().exitOverride());
  program.addCommand(sweepCommand().exitOverride());
  program.addCommand(schemaCommand().exitOverride());
  program.addCommand(k6Command().exitOverride());
  program.addCommand(emulateCommand().exitOverride());
  program.addCommand(observeCommand().exitOverride());
  program.addCommand(calibrateCommand().exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      // Thrown by an action (commander prints only the errors it raises while parsing).
      process.stderr.write(`${escapeLines(`error: ${e.message}`)}\n`);
      return EXIT.usage;
    }
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof FloodgateError) {
      process.stderr.write(formatError(e));
      return USAGE_CODES.has(e.code) ? EXIT.usage : EXIT.error;
    }
    process.stderr.write(
      `floodgate: internal error (this is a bug; please report it with the scenario):\n${escapeLines((e as Error)?.stack ?? String(e))}\n`,
    );
    return EXIT.bug;
  }
}
