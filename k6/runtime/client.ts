/**
 * The users behind the gateway, as the simulator's client (src/workload/client.ts) models them:
 * each request is tried, a failed try is retried after the same backoff (src/gateway/backoff.ts)
 * when its error is one the class retries on and tries remain, a 429's Retry-After is waited for
 * when `respectRetryAfter`, and a user whose patience runs out abandons the request. Tab
 * completions: the class's `debounce` is waited before the first try, and the user's next
 * keystroke (`cancelAfter`, drawn per request) cancels the request wherever it is: within the
 * debounce nothing is sent, later the try in flight is cut (its timeout is the time left to the
 * keystroke) or the backoff is given up. The outcome is decided once, from the last try: ok,
 * rateLimited, quotaExceeded, overloaded, serverError, timedOut, otherError (other 4xx,
 * connection errors, cut streams), abandoned or cancelled; the request's dialect says which error
 * a try got (k6/runtime/dialect.ts).
 */

import { backoffDelay } from '../../src/gateway/backoff.ts';
import type { ClassPlan } from '../../src/k6/script-config.ts';
import type { ObservedOutcomes } from '../../src/k6/summary-schema.ts';
import type { PlannedRequest } from './request.ts';
import type { Transport, TryKind, TryResult } from './transport.ts';

export type Outcome = keyof ObservedOutcomes;

export interface RequestResult {
  outcome: Outcome;
  tries: number;
  /** Arrival to first token (ms); null unless ok. */
  ttftMs: number | null;
  /** Arrival to completion (ms); null unless ok. */
  e2eMs: number | null;
  /** (e2e - ttft) / (output tokens - 1) for streamed responses of more than one token; else null. */
  tpotMs: number | null;
  gapsMs: number[];
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens read from the server's prompt cache (0 when it reported none). */
  cachedTokens: number;
  /** ok and within every SLO of the class. */
  good: boolean;
  /** The `usage.completion_tokens` of the ok try, null when the server reported none (or not ok). */
  completionTokens: number | null;
}

/** What the client needs from k6: a clock (ms) and a blocking sleep (s). */
export interface ClientClock {
  now(): number;
  sleep(seconds: number): void;
}

/**
 * The retryable error (`retries.on`) each try kind counts as: an overload is a server error, and
 * quota a 429 like a rate limit (the official SDKs retry both, though quota never passes).
 */
const RETRY_AS: Partial<Record<TryKind, 'rate-limited' | 'server-error' | 'timeout' | 'stream-cut'>> = {
  'rate-limited': 'rate-limited',
  quota: 'rate-limited',
  overloaded: 'server-error',
  'server-error': 'server-error',
  network: 'server-error',
  timeout: 'timeout',
  'stream-cut': 'stream-cut',
};

const OUTCOME_OF: Record<TryKind, Outcome> = {
  ok: 'ok',
  'rate-limited': 'rateLimited',
  quota: 'quotaExceeded',
  overloaded: 'overloaded',
  'server-error': 'serverError',
  timeout: 'timedOut',
  'stream-cut': 'otherError',
  'bad-request': 'otherError',
  network: 'otherError',
};

/** Sends one request of class `c` to `url` until it succeeds, runs out of tries or patience, or the user types on. */
export function sendRequest(
  c: ClassPlan,
  req: PlannedRequest,
  url: string,
  headers: Record<string, string>,
  transport: Transport,
  clock: ClientClock,
): RequestResult {
  const arrival = clock.now();
  const patienceEnd = req.patienceMs === null ? Number.POSITIVE_INFINITY : arrival + req.patienceMs;
  const keystrokeEnd = req.keystrokeMs === null ? Number.POSITIVE_INFINITY : arrival + req.keystrokeMs;
  // The user leaves (abandoned) or types on (cancelled), whichever comes first.
  const userEnd = Math.min(patienceEnd, keystrokeEnd);
  const userOutcome: Outcome = keystrokeEnd <= patienceEnd ? 'cancelled' : 'abandoned';
  const retries = c.client.retries;
  let tries = 0;
  let previousBackoff = 0;
  const fail = (outcome: Outcome, last: TryResult | null): RequestResult => ({
    outcome,
    tries,
    ttftMs: null,
    e2eMs: null,
    tpotMs: null,
    gapsMs: [],
    inputTokens: last?.inputTokens ?? 0,
    outputTokens: last?.outputTokens ?? 0,
    cachedTokens: last?.cachedTokens ?? 0,
    good: false,
    completionTokens: null,
  });
  // The keystroke within the debounce: the client never sends (as the simulator's, at once).
  const debounce = c.debounceMs ?? 0;
  if (req.keystrokeMs !== null && req.keystrokeMs <= debounce) return fail('cancelled', null);
  if (debounce > 0) clock.sleep(debounce / 1000);
  for (;;) {
    const start = clock.now();
    const userLeft = userEnd - start;
    if (userLeft <= 0) return fail(userOutcome, null);
    const timeout = c.client.timeoutMs ?? Number.POSITIVE_INFINITY;
    const limit = Math.min(timeout, userLeft);
    tries++;
    const r = transport({
      api: c.api,
      url,
      body: req.body,
      headers,
      timeoutMs: Number.isFinite(limit) ? Math.max(1, Math.round(limit)) : null,
      stream: c.stream,
      tags: { floodgate_class: c.name },
    });
    if (r.kind === 'ok') return success(c, req, r, start - arrival, clock.now() - arrival, tries);
    // Cut at the user's deadline, not the client timeout: the user's doing, not an error.
    if (r.kind === 'timeout' && userLeft < timeout) return fail(userOutcome, r);
    const as = RETRY_AS[r.kind];
    if (as === undefined || !retries.on.includes(as) || tries > retries.max)
      return fail(OUTCOME_OF[r.kind], r);
    let delay = backoffDelay(retries.backoff, tries, previousBackoff, req.rng);
    previousBackoff = delay;
    if (r.kind === 'rate-limited' && retries.respectRetryAfter && r.retryAfterMs !== null)
      delay = Math.max(delay, r.retryAfterMs);
    if (clock.now() + delay >= userEnd) return fail(userOutcome, r);
    if (delay > 0) clock.sleep(delay / 1000);
  }
}

function success(
  c: ClassPlan,
  req: PlannedRequest,
  r: TryResult,
  tryOffsetMs: number,
  e2eMs: number,
  tries: number,
): RequestResult {
  const ttftMs = tryOffsetMs + (r.firstTokenMs ?? r.totalMs);
  // Token counts are the server's `usage`; without it, TPOT falls back to the chunks seen.
  const tokensForTpot = r.outputTokens ?? (c.stream ? r.chunks : req.maxTokens);
  const tpotMs = c.stream && tokensForTpot > 1 ? Math.max(0, e2eMs - ttftMs) / (tokensForTpot - 1) : null;
  const slo = c.slo;
  const good =
    !(slo.ttftMs !== null && ttftMs > slo.ttftMs) &&
    !(slo.e2eMs !== null && e2eMs > slo.e2eMs) &&
    !(slo.tpotMs !== null && tpotMs !== null && tpotMs > slo.tpotMs);
  return {
    outcome: 'ok',
    tries,
    ttftMs,
    e2eMs,
    tpotMs,
    gapsMs: r.gapsMs,
    inputTokens: r.inputTokens ?? 0,
    outputTokens: r.outputTokens ?? 0,
    cachedTokens: r.cachedTokens ?? 0,
    good,
    completionTokens: r.outputTokens,
  };
}
