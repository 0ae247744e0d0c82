import type { ApiDialect } from './dialects.ts';
import type { WorkItem } from './work-item.ts';

/** One rate-limit bucket as a response's headers state it. */
export interface RateLimitBucket {
  /** The limit per minute (`*-limit`). */
  readonly limit: number;
  /** What is left of it now (`*-remaining`), whole units, never below 0. */
  readonly remaining: number;
  /** Until the bucket is full again (`*-reset`), ms from the response. */
  readonly resetMs: number;
}

/**
 * The rate-limit headers of a response (src/providers/dialects.ts names them per dialect), as
 * numbers: a bucket is undefined where the provider has no such limit or the dialect reports none.
 */
export interface RateLimitHeaders {
  readonly requests: RateLimitBucket | undefined;
  readonly inputTokens: RateLimitBucket | undefined;
  readonly outputTokens: RateLimitBucket | undefined;
}

/**
 * Final state of an attempt. Providers set ok, rate_limited (429), quota_exceeded (429 while a
 * rate-limit storm cuts a dialect-speaking provider's limits to zero: waiting does not help),
 * server_error (5xx, incl. an outage's fast 503), overloaded (503: queue full), bad_request (400:
 * context too long) and stream_cut; the gateway sets timeout and cancelled when it stops waiting.
 */
export type AttemptStatus =
  | 'pending'
  | 'ok'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'server_error'
  | 'overloaded'
  | 'bad_request'
  | 'stream_cut'
  | 'timeout'
  | 'cancelled';

/**
 * Attempt: one call from the gateway to a provider.
 *
 * Lifecycle: pending (queued at the provider, or in service) -> done (`status` set, `endMs` set,
 * provider calls its sink once). The gateway may stop waiting first (`abandoned`: timeout, client
 * cancel); the provider still reports the attempt when its work ends, so provider-side accounting
 * (busy time, billing) stays complete (FG-1).
 *
 * Owners: the gateway writes the call's identity (`owner`, try, target, start) and its own view of
 * it (`abandoned`, `inFlightAtStart`); the provider writes everything else. What the provider
 * writes is its report: the gateway reads it only once the attempt reaches `attemptDone`, and asks
 * the provider (`deliveredTokens`) what it has seen before that (FG-5).
 */
export class Attempt {
  readonly work: WorkItem;
  /** Whoever made the attempt (the gateway's ticket); opaque to providers. */
  readonly owner: unknown;
  /** Client try this attempt belongs to (results of older tries are ignored). */
  readonly tryIndex: number;
  /** Index of the gateway target, and of the provider behind it (several targets may share one). */
  readonly targetIndex: number;
  readonly providerIndex: number;
  readonly startMs: number;

  status: AttemptStatus = 'pending';
  /** Provider-side time service began (after its own queue). */
  serviceStartMs = Number.NaN;
  /** When the first output token reaches the gateway; Infinity until known. */
  firstTokenMs = Number.POSITIVE_INFINITY;
  endMs = Number.NaN;
  /** Output tokens delivered. */
  outputTokens = 0;
  /** Gap between output tokens once streaming (0: the response arrives whole). */
  tokenIntervalMs = 0;
  /** Provider's retry-after on a 429 (ms). */
  retryAfterMs = 0;
  /**
   * The 429 can never pass (the request is larger than a whole rate-limit bucket): what gRPC A6
   * calls a pushback saying not to retry. `retryAfterMs` still says 60 s, as such APIs do.
   */
  neverPasses = false;
  /** The dialect the provider answered in (undefined: a provider without one). */
  api: ApiDialect | undefined = undefined;
  /**
   * The rate-limit headers of its response (frozen plain data), as they stood when the provider
   * counted the request against its limits; undefined when it sent none.
   */
  rateLimit: RateLimitHeaders | undefined = undefined;
  /** Tokens billed for this attempt. */
  billedInputTokens = 0;
  /** Of those, prompt tokens served from the provider's prompt cache (billed at its cached price). */
  cachedInputTokens = 0;
  /** Of those, tokens a GPU replica's CPU KV tier served (loaded back, not prefilled). */
  offloadedInputTokens = 0;
  /**
   * Of those, prompt tokens written to the prompt cache where the dialect bills writes extra
   * (Anthropic's `cache_creation_input_tokens`).
   */
  cacheWriteInputTokens = 0;
  billedOutputTokens = 0;
  costUsd = 0;
  /** The gateway no longer waits for it (timed out or cancelled). */
  abandoned = false;
  /** Gateway in-flight count when the attempt started (limit algorithms use it). */
  inFlightAtStart = 0;
  /** The gateway's timeout timer for the attempt (-1: none), cancelled when it ends. */
  timeoutTimer = -1;
  /** Set while queued at the provider (lazy removal on cancel). */
  queuedAtProvider = false;

  /** The provider's own handle for the attempt (a GPU pool's sequence). */
  handle: unknown = undefined;

  /** Under per-request luck, the seed of this attempt's draws (engine/luck.ts); -1: none. */
  luckSeed = -1;

  constructor(
    work: WorkItem,
    owner: unknown,
    tryIndex: number,
    targetIndex: number,
    startMs: number,
    providerIndex = targetIndex,
  ) {
    this.work = work;
    this.owner = owner;
    this.tryIndex = tryIndex;
    this.targetIndex = targetIndex;
    this.providerIndex = providerIndex;
    this.startMs = startMs;
  }
}

/** The call's identity fields, writable: only `reuseAttempt` writes them after construction. */
type Identity = {
  -readonly [K in 'work' | 'owner' | 'tryIndex' | 'targetIndex' | 'providerIndex' | 'startMs']: Attempt[K];
};

/**
 * Makes `a`, an attempt its provider reported and nobody refers to any more, what
 * `new Attempt(work, owner, tryIndex, targetIndex, startMs, providerIndex)` would be (every field
 * its initial value): the gateway's record pool (GatewayOptions.recycle) reuses it for a new call.
 */
export function reuseAttempt(
  a: Attempt,
  work: WorkItem,
  owner: unknown,
  tryIndex: number,
  targetIndex: number,
  startMs: number,
  providerIndex: number,
): Attempt {
  const id = a as Identity;
  id.work = work;
  id.owner = owner;
  id.tryIndex = tryIndex;
  id.targetIndex = targetIndex;
  id.providerIndex = providerIndex;
  id.startMs = startMs;
  a.status = 'pending';
  a.serviceStartMs = Number.NaN;
  a.firstTokenMs = Number.POSITIVE_INFINITY;
  a.endMs = Number.NaN;
  a.outputTokens = 0;
  a.tokenIntervalMs = 0;
  a.retryAfterMs = 0;
  a.neverPasses = false;
  a.api = undefined;
  a.rateLimit = undefined;
  a.billedInputTokens = 0;
  a.cachedInputTokens = 0;
  a.offloadedInputTokens = 0;
  a.cacheWriteInputTokens = 0;
  a.billedOutputTokens = 0;
  a.costUsd = 0;
  a.abandoned = false;
  a.inFlightAtStart = 0;
  a.timeoutTimer = -1;
  a.queuedAtProvider = false;
  a.handle = undefined;
  a.luckSeed = -1;
  return a;
}
