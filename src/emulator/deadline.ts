/**
 * `X-Floodgate-Deadline-Ms`: what the generated k6 script sends for a class with a `deadline`
 * (k6/runtime/request.ts). In a scenario, a class `deadline` is how long a request may wait in
 * a queue before it is useless and dropped (the simulator sheds it from the gateway queue).
 * Without a gateway in front, the emulator is where a request waits, so it honours the header
 * there: a request still waiting in its provider's queue (not yet in service) that many real
 * milliseconds after it arrived is cancelled at the provider and answered 503
 * `deadline_exceeded`. A request already in service runs on.
 */
import type { WireError } from './openai.ts';

/** The longest deadline accepted (a day): a longer one is refused, not silently capped. */
export const MAX_DEADLINE_MS = 86_400_000;

/**
 * The header's value in real ms; undefined when absent; a `WireError` (400) when it is not one
 * whole number of milliseconds in 1..MAX_DEADLINE_MS (sent once). The value is never echoed.
 */
export function parseDeadlineHeader(value: string | string[] | undefined): number | undefined | WireError {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? (value.length === 1 ? value[0]! : '') : value;
  const ms = /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : Number.NaN;
  if (ms >= 1 && ms <= MAX_DEADLINE_MS) return ms;
  return {
    status: 400,
    message: `Invalid X-Floodgate-Deadline-Ms: expected one whole number of milliseconds from 1 to ${MAX_DEADLINE_MS}.`,
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_deadline',
  };
}

/** The answer to a request whose deadline passed while it waited in its provider's queue. */
export function deadlineExceeded(provider: string, deadlineMs: number): WireError {
  return {
    status: 503,
    message: `The request waited in ${provider}'s queue past its deadline (X-Floodgate-Deadline-Ms: ${deadlineMs}) and was dropped.`,
    type: 'server_error',
    param: null,
    code: 'deadline_exceeded',
  };
}
