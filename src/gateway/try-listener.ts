import type { RetryError } from '../scenario/schema.ts';

/** How a try ended, as the gateway answers the client (before client retries). */
export type TryOutcome = 'ok' | 'shed' | 'rate_limited' | 'failed' | 'timed_out';

/** What a try ended with, as the client sees it. */
export type TryError = RetryError | 'bad-request' | 'shed';

/** The client side of a ticket: told once per try how it ended. */
export interface TryListener<O> {
  tryEnded(owner: O, outcome: TryOutcome, error: TryError | undefined): void;
}

/**
 * Does a retry or fallback list (`retries.on`, `fallbackOn`, `nonFatal`) cover `error`? A list
 * covers the kinds it names; `server-error` also covers `overloaded` (an overload is a 5xx), so a
 * list written before a dialect told overloads apart still retries them. To treat an overload
 * apart, leave `server-error` out and name `overloaded` where it belongs. Likewise
 * `rate-limited` covers `quota` (both are 429 on the wire: a gateway reading status codes cannot
 * tell them apart); name `quota` alone to treat it apart.
 */
export function coversError(errors: readonly string[] | undefined, error: TryError): boolean {
  if (errors === undefined) return false;
  if (errors.includes(error)) return true;
  if (error === 'overloaded') return errors.includes('server-error');
  return error === 'quota' && errors.includes('rate-limited');
}
