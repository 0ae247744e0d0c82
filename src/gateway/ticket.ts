import type { TimerHandle } from '../engine/heap.ts';
import type { Attempt } from '../providers/attempt.ts';
import type { WorkItem } from '../providers/work-item.ts';
import type { RequestView } from './policy.ts';
import type { TryError, TryListener } from './try-listener.ts';

/**
 * Ticket: the gateway's own state for one request, across the client's tries. Only the gateway
 * writes it; the client holds it to send tries and cancel them, the recorder reads it when the
 * request ends. `owner` is the client's record, handed back when a try ends.
 *
 * Lifecycle per try: received -> (queued ->) admitted -> attempt(s) in flight (| backing off for a
 * gateway retry) -> try ended (told to `listener`) or cancelled by the client. The client closes
 * the ticket when its request ends; a gateway that recycles records (GatewayOptions.recycle) then
 * reuses it for a later request once nothing refers to it any more (see `Gateway.close`).
 */
export class Ticket<O = unknown> {
  /** The request's arrival facts, its view, owner and listener: fixed while the ticket is open. */
  work: WorkItem;
  /** What policies see of the request. */
  view: RequestView;
  owner: O;
  listener: TryListener<O>;
  /** The client try being served (the client's numbering), and whether one is. */
  tryIndex = 0;
  serving = false;
  /** Admitted in the current try and not yet released. */
  admitted = false;
  admittedAtMs = 0;
  /** Waiting in the gateway queue (lazy deletion: the queue skips tickets no longer waiting). */
  queued = false;
  queuedAtMs = 0;
  /** When the queue wait expires (the request's deadline or the queue's max wait); set on enqueue. */
  queueExpiryMs = 0;
  /** Time spent in the gateway queue (all tries). */
  gatewayWaitMs = 0;
  /**
   * Attempts in flight for the current try, oldest first: the attempt routed, then the hedges
   * racing it (backup attempts; at most one unless gRPC A6 hedging sends more).
   */
  attempts: Attempt[] = roomForOne();
  /** Attempts sent since the try was last routed (the first and its hedges). */
  roundAttempts = 0;
  /** No more hedges in this try (the retry budget refused one). */
  hedgingStopped = false;
  /** The error of the last attempt that failed (what a hedged try ends with when all have). */
  lastError: TryError | undefined = undefined;
  /** Attempts in the current try, and the target of the last one (-1: none yet). */
  tryAttempts = 0;
  /** `tryAttempts` when a server pushback last set a retry's delay (backoff restarts there). */
  backoffFrom = 0;
  lastTargetIndex = -1;
  /** retryThenFallback: the target the next attempt retries (-1: routing picks), and `tryAttempts` when the current target was first tried. */
  pinnedTargetIndex = -1;
  targetFrom = 0;
  /** Providers still to try from the fallback chain of the first failed provider. */
  fallbackQueue: string[] | undefined = undefined;
  /** A gateway retry is scheduled or in flight (retry budgets count these). */
  retrying = false;
  /** Pending timers (-1: none): the queue wait's expiry, the scheduled retry, the hedge. */
  queueTimer: TimerHandle = -1;
  retryTimer: TimerHandle = -1;
  hedgeTimer: TimerHandle = -1;
  /** Previous backoff delay (decorrelated jitter needs it). */
  lastBackoffMs = 0;
  /** The attempt that succeeded (its times and tokens are the request's). */
  okAttempt: Attempt | undefined = undefined;
  /** Cost of every attempt reported so far (USD): what the gateway paid for the request. */
  costUsd = 0;
  /** The client went away because its user moved on: later work on it is waste. */
  superseded = false;
  /** The routing policy's classifier has run for this request (it runs once per request). */
  classified = false;
  /** The classifier's or the judge's call in progress (-1: none). */
  routerTimer: TimerHandle = -1;
  /** An ok answer the judge is reading, and whether it will accept it (drawn when it started). */
  heldAttempt: Attempt | undefined = undefined;
  judgeAccepts = false;
  /** When a judged answer was released to the client (NaN: the answer was not held). */
  releaseMs = Number.NaN;
  /** Attempts started and not yet reported by their provider (their `owner` is this ticket). */
  outstanding = 0;
  /** The client closed the ticket (its request ended). */
  closed = false;
  /** Was ever in the gateway queue (whose lazy deletion may still hold it): never recycled. */
  everQueued = false;
  /**
   * An attempt went to a provider that may keep it after reporting it (and with it `work`): the
   * work item is then never given back to the work pool.
   */
  workKept = false;

  constructor(work: WorkItem, view: RequestView, owner: O, listener: TryListener<O>) {
    this.work = work;
    this.view = view;
    this.owner = owner;
    this.listener = listener;
  }

  /**
   * Makes a recycled ticket as `new Ticket(work, view, owner, listener)` would be (every field its
   * initial value; the attempts list is kept, empty, for its capacity).
   */
  reopen(work: WorkItem, view: RequestView, owner: O, listener: TryListener<O>): void {
    this.work = work;
    this.view = view;
    this.owner = owner;
    this.listener = listener;
    this.tryIndex = 0;
    this.serving = false;
    this.admitted = false;
    this.admittedAtMs = 0;
    this.queued = false;
    this.queuedAtMs = 0;
    this.queueExpiryMs = 0;
    this.gatewayWaitMs = 0;
    // Empty once every attempt left (setting length 0 anyway costs a runtime call).
    if (this.attempts.length !== 0) this.attempts = roomForOne();
    this.roundAttempts = 0;
    this.hedgingStopped = false;
    this.lastError = undefined;
    this.tryAttempts = 0;
    this.backoffFrom = 0;
    this.lastTargetIndex = -1;
    this.pinnedTargetIndex = -1;
    this.targetFrom = 0;
    this.fallbackQueue = undefined;
    this.retrying = false;
    this.queueTimer = -1;
    this.retryTimer = -1;
    this.hedgeTimer = -1;
    this.lastBackoffMs = 0;
    this.okAttempt = undefined;
    this.costUsd = 0;
    this.superseded = false;
    this.classified = false;
    this.routerTimer = -1;
    this.heldAttempt = undefined;
    this.judgeAccepts = false;
    this.releaseMs = Number.NaN;
    this.outstanding = 0;
    this.closed = false;
    this.everQueued = false;
    this.workKept = false;
  }
}

/**
 * An empty list with room for one attempt (most tries only ever hold one): V8 keeps a one-slot
 * store that `pop` empties, so a reused ticket adds and drops its attempts without allocating,
 * where the first push onto `[]` reserves 17 slots and popping the last gives them back.
 */
function roomForOne(): Attempt[] {
  const list: (Attempt | undefined)[] = [undefined];
  list.pop();
  return list as Attempt[];
}
