import type { TimerHandle } from '../engine/heap.ts';
import type { Gateway } from '../gateway/pipeline.ts';
import type { Ticket } from '../gateway/ticket.ts';
import type { TryListener } from '../gateway/try-listener.ts';
import type { WorkItem } from '../providers/work-item.ts';
import type { Session } from './sessions.ts';

/** How a request ended. Every offered request ends in exactly one (FG-1). */
export type Outcome = 'ok' | 'shed' | 'rate_limited' | 'failed' | 'timed_out' | 'abandoned' | 'cancelled';
/** Outcomes in the order results list them; `unfinished` is counted at the end of the drain. */
export const OUTCOMES: readonly Outcome[] = [
  'ok',
  'shed',
  'rate_limited',
  'failed',
  'timed_out',
  'abandoned',
  'cancelled',
];

/**
 * Request: the client's record of one user request, from arrival to its terminal outcome, across
 * client tries (a client retry is a new try of the same request). Only the client writes it.
 *
 * Lifecycle: arrived -> try active (at the gateway) | backing off -> ... -> terminal. `outcome` is
 * set exactly once. Arrival facts are `work` (immutable); what the gateway did is its `ticket`.
 * A client that recycles records reuses a request once it ended and everyone was told (`reuse`).
 */
export class Request {
  /** The request's arrival facts, its ticket and session: fixed from arrival to the end. */
  work: WorkItem;
  /** The gateway's state for this request (read-only here). */
  ticket: Ticket<Request>;
  /** The agent session this call belongs to, if any (see sessions.ts). */
  session: Session | undefined;

  outcome: Outcome | undefined = undefined;
  /** Client tries started (1 after the first). */
  tries = 0;
  /** Is a try in progress at the gateway? */
  tryActive = false;
  /** Client timeout of the current try, set when it starts if the class has one (its timer reads it). */
  tryDeadlineMs = 0;
  /** A client retry is scheduled or in flight (client retry budgets count these). */
  clientRetrying = false;
  /** Previous client backoff delay (decorrelated jitter needs it). */
  clientBackoffMs = 0;
  /**
   * Pending timers (-1: none), cancelled when they can no longer matter: the current try's
   * timeout, the next try (a retry, or the first after the debounce), the user's patience and
   * next keystroke.
   */
  timeoutTimer: TimerHandle = -1;
  nextTryTimer: TimerHandle = -1;
  patienceTimer: TimerHandle = -1;
  keystrokeTimer: TimerHandle = -1;

  constructor(
    work: WorkItem,
    session: Session | undefined,
    gateway: Gateway,
    listener: TryListener<Request>,
  ) {
    this.work = work;
    this.session = session;
    this.ticket = gateway.open(work, this, listener);
  }

  /** Makes an ended request what `new Request(work, session, gateway, listener)` would be. */
  reuse(
    work: WorkItem,
    session: Session | undefined,
    gateway: Gateway,
    listener: TryListener<Request>,
  ): void {
    this.work = work;
    this.session = session;
    this.outcome = undefined;
    this.tries = 0;
    this.tryActive = false;
    this.tryDeadlineMs = 0;
    this.clientRetrying = false;
    this.clientBackoffMs = 0;
    this.timeoutTimer = -1;
    this.nextTryTimer = -1;
    this.patienceTimer = -1;
    this.keystrokeTimer = -1;
    this.ticket = gateway.open(work, this, listener);
  }
}
