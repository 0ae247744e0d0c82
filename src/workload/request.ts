import type { RequestView } from '../gateway/policy.ts';
import type { Attempt } from '../providers/attempt.ts';

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
 * Request: one user request, from arrival at the gateway to its terminal outcome, across client
 * tries (a client retry is a new try of the same request) and gateway attempts.
 *
 * Lifecycle: arrived -> try active (queued at the gateway | attempt in flight | backing off)
 * -> try ended -> (client retry: try active again) -> terminal. `outcome` is set exactly once.
 *
 * Holds ground truth (`outputTokens`) that policies never see: they get `view`.
 */
export class Request {
  readonly id: number;
  readonly classIndex: number;
  readonly arrivalMs: number;
  readonly promptTokens: number;
  /** Tokens the model will generate (ground truth; not visible to policies). */
  readonly outputTokens: number;
  /** Absolute time after which the request is useless (Infinity if none). */
  readonly deadlineMs: number;
  /** Arrived after warmup: counts in summary figures. */
  readonly measured: boolean;
  /** Shared-prefix group (-1: none) and how many leading prompt tokens it covers. */
  readonly prefixId: number;
  readonly prefixTokens: number;
  /** What policies see. */
  readonly view: RequestView;

  outcome: Outcome | undefined;
  /** Client tries started (1 after the first). */
  tries = 0;
  /** Is a try in progress (queued, in flight, or between gateway retries)? */
  tryActive = false;
  /** Client timeout of the current try (Infinity if none). */
  tryDeadlineMs = Number.POSITIVE_INFINITY;
  /** Attempts in the current try, and the target of the last one (-1: none yet). */
  tryAttempts = 0;
  lastTargetIndex = -1;
  /** Admitted by the gateway in the current try and not yet released. */
  admitted = false;
  /** Waiting in the gateway queue (lazy deletion: the queue skips requests no longer waiting). */
  queued = false;
  queuedAtMs = 0;
  /** Time spent in the gateway queue (all tries). */
  gatewayWaitMs = 0;
  /** The attempt in flight, if any, and its hedge (a backup attempt racing it). */
  attempt: Attempt | undefined = undefined;
  hedge: Attempt | undefined = undefined;
  /** Providers still to try from the fallback chain of the first failed provider. */
  fallbackQueue: string[] | undefined = undefined;
  /** The attempt that succeeded (its times and tokens are the request's). */
  okAttempt: Attempt | undefined = undefined;
  /** When the current admission happened; when its queue wait expires. */
  admittedAtMs = 0;
  queueExpiryMs = Number.POSITIVE_INFINITY;
  /** The agent session this call belongs to, if any (see sessions.ts). */
  session: unknown = undefined;
  /** Cost of every attempt of this request (USD), for per-session totals. */
  costUsd = 0;
  /** The user moved on (next keystroke): the request is being cancelled; its work is waste. */
  userCancelled = false;
  /** A gateway retry of this request is scheduled or in flight (retry budgets count these). */
  retrying = false;
  /** A client retry of this request is scheduled or in flight (client retry budgets count these). */
  clientRetrying = false;
  /** Previous backoff delay (decorrelated jitter needs it). */
  lastBackoffMs = 0;
  clientBackoffMs = 0;

  constructor(
    id: number,
    classIndex: number,
    view: RequestView,
    arrivalMs: number,
    promptTokens: number,
    outputTokens: number,
    deadlineMs: number,
    measured: boolean,
    prefixId = -1,
    prefixTokens = 0,
  ) {
    this.id = id;
    this.classIndex = classIndex;
    this.view = view;
    this.arrivalMs = arrivalMs;
    this.promptTokens = promptTokens;
    this.outputTokens = outputTokens;
    this.deadlineMs = deadlineMs;
    this.measured = measured;
    this.prefixId = prefixId;
    this.prefixTokens = prefixTokens;
  }
}
