/**
 * The floodgate command line around its commands: the top-level program (its help, version and exit
 * codes), escaped output, and how an error becomes a message and an exit code (see exit-codes.ts).
 * Known errors print one line; anything else is a bug and prints its stack. main.ts builds it
 * with every command, run-entry.ts with the run command alone.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { FloodgateError, USAGE_CODES } from '../errors.ts';
import { escapeLine, escapeLines, shorten } from '../text/quote.ts';
import { EXIT } from './exit-codes.ts';
import { formatError } from './output.ts';

/** The program with `commands` (in the order the help lists them). */
export function createProgram(argv: readonly string[], commands: readonly (() => Command)[]): Command {
  const program = new Command('floodgate')
    .description(
      'Traffic simulator and load-testing framework for LLM gateway routing and admission policies.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 3 an SLO, recovery or tolerance verdict failed (run, capacity, observe), 1 bad input, 2 bad usage, 70 a bug in Floodgate.\nRun floodgate <command> --help for its options.',
    )
    .exitOverride();
  for (const command of commands) program.addCommand(command().exitOverride());
  // Commander's own messages quote raw arguments (`option '--host <address>' argument '...' is
  // invalid`): everything it prints is escaped, so an argument carrying a newline or a terminal
  // escape code cannot forge a line or redraw the terminal. Subcommands added with addCommand do
  // not inherit the setting, hence the loop.
  const output = escapedOutput(argv);
  for (const command of [program, ...program.commands]) command.configureOutput(output);
  return program;
}

/** Longest argument commander may echo in full; longer ones are shortened like any input text. */
const MAX_ARGUMENT_CHARS = 100;

/**
 * Output settings for commander: the arguments it quotes (a whole argument, or the value of
 * `--flag=value`) are escaped onto one line and shortened; the line breaks of its own messages
 * (`(Did you mean --target?)`, help text) stay, other control characters are escaped.
 */
export function escapedOutput(argv: readonly string[]) {
  const raw = new Set<string>();
  for (const arg of argv) {
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    for (const text of eq > 0 ? [arg, arg.slice(eq + 1)] : [arg])
      if (text.length > MAX_ARGUMENT_CHARS || escapeLine(text) !== text) raw.add(text);
  }
  // Longest first, so a `--flag=value` argument is replaced whole before its value alone.
  const unsafe = [...raw].sort((a, b) => b.length - a.length);
  const escapeArguments = (text: string) => {
    let out = text;
    for (const arg of unsafe) out = out.split(arg).join(shorten(arg, MAX_ARGUMENT_CHARS));
    return escapeLines(out);
  };
  return {
    writeOut: (text: string) => process.stdout.write(escapeArguments(text)),
    writeErr: (text: string) => process.stderr.write(escapeArguments(text)),
    outputError: (text: string, write: (text: string) => void) => write(escapeArguments(text)),
  };
}

/** Parses `argv` with the program `build` makes and runs its command; returns the exit code. */
export async function runProgram(argv: string[], build: () => Command): Promise<number> {
  try {
    await build().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      // Thrown by an action (commander prints only the errors it raises while parsing).
      process.stderr.write(`${escapeLines(`error: ${e.message}`)}\n`);
      return EXIT.usage;
    }
    if (e instanceof CommanderError) {
      // --help, `help [CMD]` and --version exit 0; help printed because no command was given
      // (commander.help with exit code 1) is a usage mistake.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      if (e.code === 'commander.help' && e.exitCode === 0) return EXIT.ok;
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
