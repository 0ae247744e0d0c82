import type { RetryableError } from '../scenario/schema.ts';

/** How a try ended, as the gateway answers the client (before client retries). */
export type TryOutcome = 'ok' | 'shed' | 'rate_limited' | 'failed' | 'timed_out';

/** What a try ended with, as the client sees it. */
export type TryError = RetryableError | 'bad-request' | 'shed';

/** The client side of a ticket: told once per try how it ended. */
export interface TryListener<O> {
  tryEnded(owner: O, outcome: TryOutcome, error: TryError | undefined): void;
}
