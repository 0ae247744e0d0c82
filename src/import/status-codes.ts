/**
 * HTTP status codes in a gateway's config, as the errors Floodgate's providers produce. Which
 * error a code stands for depends on the target's API dialect (src/providers/dialects.ts), since a
 * gateway matches the status the provider answered:
 * - OpenAI (and any OpenAI-compatible target): 429 a rate limit (with retry-after) or a quota
 *   refusal (`rate-limited` covers the `quota` kind, as a status code cannot tell), 503 an
 *   overloaded or failing provider (`server-error`, which covers `overloaded`), 400 a bad request;
 * - Anthropic: 429, 500 `api_error` (a server error), 529 `overloaded_error` (`overloaded`), 400;
 *   it never answers 503;
 * - Gemini: 429, 500 INTERNAL (a server error), 503 UNAVAILABLE (`overloaded`), 400.
 * A gateway's own attempt timeout is 408 in Portkey, whatever the target. 529 is `overloaded` for
 * an OpenAI target too (kept from before dialects). Other codes are never produced, so listing
 * them changes nothing (they are reported, not dropped). A stream cut arrives after a 200 and the
 * headers: no status code matches it.
 */
import type { RetryError } from '../scenario/schema.ts';

export type StatusError = RetryError | 'bad-request';

/** The status code families: how a target's answers map to Floodgate's errors. */
export type CodeDialect = 'openai' | 'anthropic' | 'gemini';

const BY_CODE: Readonly<Record<CodeDialect, Readonly<Record<number, StatusError>>>> = {
  openai: { 408: 'timeout', 429: 'rate-limited', 503: 'server-error', 529: 'overloaded', 400: 'bad-request' },
  anthropic: {
    408: 'timeout',
    429: 'rate-limited',
    500: 'server-error',
    529: 'overloaded',
    400: 'bad-request',
  },
  gemini: { 408: 'timeout', 429: 'rate-limited', 500: 'server-error', 503: 'overloaded', 400: 'bad-request' },
};

/**
 * The errors a status code list matches on targets of the given dialects (their union), and the
 * codes none of them answers.
 */
export function errorsOfCodes(
  codes: readonly number[],
  dialects: readonly CodeDialect[] = ['openai'],
): { errors: StatusError[]; unmatched: number[] } {
  const errors = new Set<StatusError>();
  const unmatched: number[] = [];
  for (const code of codes) {
    let matched = false;
    for (const d of dialects.length > 0 ? dialects : (['openai'] as const)) {
      const error = BY_CODE[d][code];
      if (error) {
        errors.add(error);
        matched = true;
      }
    }
    if (!matched) unmatched.push(code);
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
