/** Option parsers shared by the commands (commander calls them with each raw value). */

import { InvalidArgumentError, Option } from 'commander';
import { LUCK_MODES, type LuckMode } from '../engine/luck.ts';
import { WORK_LIMIT_NAMES, type WorkLimits } from '../scenario/budget.ts';
import { didYouMean } from '../scenario/suggest.ts';
import { quoted } from '../text/quote.ts';

/** Repeatable options (`--set a=1 --set b=2`) collect into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `--set path=value` (repeatable). No default value, so help shows none (`(default: [])` says
 * nothing); an action reads `opts.set ?? []`.
 */
export function setOption(
  description = 'override a scenario value, VALUE parsed as YAML (repeatable)',
): Option {
  return new Option('--set <path=value>', description).argParser(collect);
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(
      `expected an integer of at most 9007199254740991 in size, got ${quoted(value)}`,
    );
  return n;
}

/** Counts such as --seeds, --jobs, --steps, --operator. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number >= 1, got ${quoted(value)}`);
  return n;
}

/**
 * `--max arrivals=3e10`: raises one of the work limits a scenario is checked against (repeatable;
 * see scenario/budget.ts). The estimate in a refusal names the value to pass.
 */
export function workLimitOption(): Option {
  return new Option(
    '--max <limit=n>',
    `raise a work limit (${WORK_LIMIT_NAMES.join(', ')}) past its default, e.g. --max arrivals=3e9 (repeatable)`,
  ).argParser(parseWorkLimit);
}

export function parseWorkLimit(value: string, previous: Partial<WorkLimits> = {}): Partial<WorkLimits> {
  const m = /^([a-z]+)=(.+)$/.exec(value.trim());
  const name = m?.[1] as keyof WorkLimits | undefined;
  if (!m || !name || !WORK_LIMIT_NAMES.includes(name))
    throw new InvalidArgumentError(
      `expected LIMIT=N with LIMIT one of ${WORK_LIMIT_NAMES.join(', ')}, got ${quoted(value)}${m ? didYouMean(m[1]!, WORK_LIMIT_NAMES) : ''}`,
    );
  const n = Number(m[2]);
  if (!(n > 0 && Number.isFinite(n)))
    throw new InvalidArgumentError(
      `expected ${name}=N with N a positive number such as 3e9, got ${quoted(value)}`,
    );
  return { ...previous, [name]: n };
}

/** A number greater than 0 (`--rate-scale`, `--vu-headroom`). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a number greater than 0, got ${quoted(value)}`);
  return n;
}

/** What `--time-scale` means on every command (run, k6, emulate; observe reads it). */
export const TIME_SCALE_HELP =
  'real seconds per scenario second of the timeline (arrivals, faults, warmup, duration): 0.1 plays 10 min in 1 min; latencies, timeouts and think times are not scaled';

/**
 * `--time-scale F`: real seconds per scenario second, a number greater than 0. `10x` is refused:
 * it was the emulator's old convention (F times faster), the inverse of this one.
 */
export function timeScale(value: string): number {
  if (/^\s*[0-9.eE+-]+\s*x\s*$/i.test(value))
    throw new InvalidArgumentError(
      `expected real seconds per scenario second, such as 0.1 (10 min of the scenario in 1 min), got ${quoted(value)}: 'Nx' was floodgate emulate's old, inverse convention (N times faster); use --time-scale ${inverse(value)}, or --speed for the provider models' clock`,
    );
  return positiveNumber(value);
}

function inverse(value: string): string {
  const n = Number.parseFloat(value);
  return n > 0 ? String(Math.round((1 / n) * 1e6) / 1e6) : '0.1';
}

/** What `--luck` means on run, compare and emulate. */
export const LUCK_HELP =
  "whose luck each provider attempt meets: arrival (default: each provider's one stream, in the order attempts reach it) or request (each request's own, by its traffic key and attempt count: the same request meets the same draws whatever else the provider serves; emulate reads the key from X-Floodgate-Traffic-Key: class.ordinal.send)";

/** `--luck arrival|request`. */
export function parseLuck(value: string): LuckMode {
  if (!(LUCK_MODES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected ${LUCK_MODES.join(' or ')}, got ${quoted(value)}`);
  return value as LuckMode;
}
