/**
 * The users behind the gateway, as the simulator's client (src/workload/client.ts) models them:
 * each request is tried, a failed try is retried after the same backoff (src/workload/backoff.ts)
 * when its error is one the class retries on and tries remain, a 429's Retry-After is waited for
 * when `respectRetryAfter`, and a user whose patience runs out abandons the request. The outcome
 * is decided once, from the last try: ok, rateLimited, serverError, timedOut, otherError (other
 * 4xx, connection errors, cut streams) or abandoned.
 */
import type { ClassPlan } from '../../src/k6/script-config.ts';
import type { ObservedOutcomes } from '../../src/k6/summary-schema.ts';
import { backoffDelay } from '../../src/workload/backoff.ts';
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
  /** ok and within every SLO of the class. */
  good: boolean;
}

/** What the client needs from k6: a clock (ms) and a blocking sleep (s). */
export interface ClientClock {
  now(): number;
  sleep(seconds: number): void;
}

const RETRY_AS: Partial<Record<TryKind, 'rate-limited' | 'server-error' | 'timeout' | 'stream-cut'>> = {
  'rate-limited': 'rate-limited',
  'server-error': 'server-error',
  network: 'server-error',
  timeout: 'timeout',
  'stream-cut': 'stream-cut',
};

const OUTCOME_OF: Record<TryKind, Outcome> = {
  ok: 'ok',
  'rate-limited': 'rateLimited',
  'server-error': 'serverError',
  timeout: 'timedOut',
  'stream-cut': 'otherError',
  'bad-request': 'otherError',
  network: 'otherError',
};

/** Sends one request of class `c` to `url` until it succeeds, runs out of tries or patience. */
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
    good: false,
  });
  for (;;) {
    const start = clock.now();
    const patienceLeft = patienceEnd - start;
    if (patienceLeft <= 0) return fail('abandoned', null);
    const timeout = c.client.timeoutMs ?? Number.POSITIVE_INFINITY;
    const limit = Math.min(timeout, patienceLeft);
    tries++;
    const r = transport({
      url,
      body: req.body,
      headers,
      timeoutMs: Number.isFinite(limit) ? Math.max(1, Math.round(limit)) : null,
      stream: c.stream,
      tags: { floodgate_class: c.name },
    });
    if (r.kind === 'ok') return success(c, req, r, start - arrival, clock.now() - arrival, tries);
    if (r.kind === 'timeout' && patienceLeft < timeout) return fail('abandoned', r);
    const as = RETRY_AS[r.kind];
    if (as === undefined || !retries.on.includes(as) || tries > retries.max)
      return fail(OUTCOME_OF[r.kind], r);
    let delay = backoffDelay(retries.backoff, tries, previousBackoff, req.rng);
    previousBackoff = delay;
    if (r.kind === 'rate-limited' && retries.respectRetryAfter && r.retryAfterMs !== null)
      delay = Math.max(delay, r.retryAfterMs);
    if (clock.now() + delay >= patienceEnd) return fail('abandoned', r);
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
    good,
  };
}
