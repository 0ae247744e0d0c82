/**
 * HTTP status codes in a gateway's config, as the errors Floodgate's providers produce. Floodgate's
 * providers (and the emulator serving them) answer 429 for a rate limit (with retry-after) or a
 * quota refusal (`rate-limited` covers the `quota` kind, as a status code cannot tell), 503 for
 * an overloaded or failing provider and 400 for a bad request (a context window exceeded); a
 * gateway's own attempt timeout is 408 in Portkey. A provider speaking `anthropic-messages` answers
 * an overload 529 `overloaded_error`: 529 is the `overloaded` error kind. Other codes are never produced, so listing them
 * changes nothing (they are reported, not dropped). A stream cut arrives after a 200 and the
 * headers: no status code matches it.
 */
import type { RetryError } from '../scenario/schema.ts';

export type StatusError = RetryError | 'bad-request';

const BY_CODE: Readonly<Record<number, StatusError>> = {
  408: 'timeout',
  429: 'rate-limited',
  503: 'server-error',
  529: 'overloaded',
  400: 'bad-request',
};

/** The errors a status code list matches, and the codes no Floodgate provider answers. */
export function errorsOfCodes(codes: readonly number[]): { errors: StatusError[]; unmatched: number[] } {
  const errors = new Set<StatusError>();
  const unmatched: number[] = [];
  for (const code of codes) {
    const error = BY_CODE[code];
    if (error) errors.add(error);
    else unmatched.push(code);
  }
  // A stable order: the schema's.
  const order: StatusError[] = [
    'rate-limited',
    'server-error',
    'overloaded',
    'timeout',
    'stream-cut',
    'bad-request',
  ];
  return { errors: order.filter((e) => errors.has(e)), unmatched };
}

/** Errors that are retryable at all (a 400 never is in Floodgate's gateway). */
export function retryableOnly(errors: readonly StatusError[]): RetryError[] {
  return errors.filter((e): e is RetryError => e !== 'bad-request');
}
