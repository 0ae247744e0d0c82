/** Option parsers shared by the commands (commander calls them with each raw value). */
import { InvalidArgumentError } from 'commander';

/** Repeatable options (`--set a=1 --set b=2`) collect into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected an integer of at most 9007199254740991 in size, got '${value}'`);
  return n;
}

/** Counts such as --seeds, --jobs, --steps, --operator. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number >= 1, got '${value}'`);
  return n;
}
