/**
 * Custom k6 metrics, one set per class and one for the whole run. The class is in the metric
 * name (`floodgate_tab_ttft`), not a tag, so thresholds and the summary need no sub-metrics.
 * Trends are in ms (isTime); counters count requests by outcome, tries and usage tokens; rates
 * are the shares SLOs bound (error, rate-limited, timeout, cancelled, completed, goodput).
 * Session classes also get session metrics (`floodgate_agent_sessions`...), and so does the
 * whole run when it has any.
 */
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Outcome, RequestResult } from './client.ts';

export interface MetricSet {
  ttft: Trend;
  tpot: Trend;
  e2e: Trend;
  itl: Trend;
  requests: Counter;
  outcomes: Record<Outcome, Counter>;
  attempts: Counter;
  inputTokens: Counter;
  outputTokens: Counter;
  cachedInputTokens: Counter;
  goodput: Counter;
  errorRate: Rate;
  rateLimitedRate: Rate;
  timeoutRate: Rate;
  cancelledRate: Rate;
  completedRate: Rate;
  goodputRate: Rate;
}

/** Suffixes of the outcome counters: `<prefix>_ok`, `<prefix>_rate_limited`... */
export const OUTCOME_SUFFIX: Record<Outcome, string> = {
  ok: 'ok',
  rateLimited: 'rate_limited',
  quotaExceeded: 'quota_exceeded',
  overloaded: 'overloaded',
  serverError: 'server_error',
  timedOut: 'timeout',
  otherError: 'error_other',
  abandoned: 'abandoned',
  cancelled: 'cancelled',
};

/** Suffixes of the session metrics: `<prefix>_sessions` counts sessions started... */
export const SESSION_SUFFIX = {
  started: 'sessions',
  completed: 'sessions_completed',
  aborted: 'sessions_aborted',
  duration: 'session_duration',
  calls: 'session_calls',
} as const;

/** Creates the metrics named `<prefix>_<suffix>` (init context only, as k6 requires). */
export function createMetricSet(prefix: string): MetricSet {
  const outcomes = {} as Record<Outcome, Counter>;
  for (const [outcome, suffix] of Object.entries(OUTCOME_SUFFIX))
    outcomes[outcome as Outcome] = new Counter(`${prefix}_${suffix}`);
  return {
    ttft: new Trend(`${prefix}_ttft`, true),
    tpot: new Trend(`${prefix}_tpot`, true),
    e2e: new Trend(`${prefix}_e2e`, true),
    itl: new Trend(`${prefix}_itl`, true),
    requests: new Counter(`${prefix}_requests`),
    outcomes,
    attempts: new Counter(`${prefix}_attempts`),
    inputTokens: new Counter(`${prefix}_input_tokens`),
    outputTokens: new Counter(`${prefix}_output_tokens`),
    cachedInputTokens: new Counter(`${prefix}_cached_tokens`),
    goodput: new Counter(`${prefix}_goodput`),
    errorRate: new Rate(`${prefix}_error_rate`),
    rateLimitedRate: new Rate(`${prefix}_rate_limited_rate`),
    timeoutRate: new Rate(`${prefix}_timeout_rate`),
    cancelledRate: new Rate(`${prefix}_cancelled_rate`),
    completedRate: new Rate(`${prefix}_completed_rate`),
    goodputRate: new Rate(`${prefix}_goodput_rate`),
  };
}

/**
 * Records one request's result (errorShare counts failures, timeouts and 429s, as the simulator;
 * rate_limited_rate only rate limits: quota and overloads are errors of their own).
 */
export function record(m: MetricSet, r: RequestResult): void {
  m.requests.add(1);
  m.outcomes[r.outcome].add(1);
  m.attempts.add(r.tries);
  if (r.inputTokens > 0) m.inputTokens.add(r.inputTokens);
  if (r.outputTokens > 0) m.outputTokens.add(r.outputTokens);
  if (r.cachedTokens > 0) m.cachedInputTokens.add(r.cachedTokens);
  const error =
    r.outcome === 'rateLimited' ||
    r.outcome === 'quotaExceeded' ||
    r.outcome === 'overloaded' ||
    r.outcome === 'serverError' ||
    r.outcome === 'timedOut' ||
    r.outcome === 'otherError';
  m.errorRate.add(error);
  m.rateLimitedRate.add(r.outcome === 'rateLimited');
  m.timeoutRate.add(r.outcome === 'timedOut');
  m.cancelledRate.add(r.outcome === 'cancelled');
  m.completedRate.add(r.outcome === 'ok');
  m.goodputRate.add(r.good);
  if (r.good) m.goodput.add(1);
  if (r.outcome !== 'ok') return;
  if (r.ttftMs !== null) m.ttft.add(r.ttftMs);
  if (r.e2eMs !== null) m.e2e.add(r.e2eMs);
  if (r.tpotMs !== null) m.tpot.add(r.tpotMs);
  for (const gap of r.gapsMs) m.itl.add(gap);
}

/** Agent-session metrics of one class (or of all session classes). */
export interface SessionMetricSet {
  started: Counter;
  completed: Counter;
  aborted: Counter;
  /** Arrival to the end of the last call, completed sessions (ms). */
  duration: Trend;
  /** Requests per ended session (completed or aborted), retried calls included. */
  calls: Trend;
}

export function createSessionMetricSet(prefix: string): SessionMetricSet {
  return {
    started: new Counter(`${prefix}_${SESSION_SUFFIX.started}`),
    completed: new Counter(`${prefix}_${SESSION_SUFFIX.completed}`),
    aborted: new Counter(`${prefix}_${SESSION_SUFFIX.aborted}`),
    duration: new Trend(`${prefix}_${SESSION_SUFFIX.duration}`, true),
    calls: new Trend(`${prefix}_${SESSION_SUFFIX.calls}`),
  };
}

/** How a session ended, for `recordSessionEnd`. */
export interface SessionEnd {
  state: 'completed' | 'aborted';
  durationMs: number;
  calls: number;
}

/** Records a session that ended (one still running when k6 stops it is never recorded: unfinished). */
export function recordSessionEnd(m: SessionMetricSet, s: SessionEnd): void {
  if (s.state === 'completed') {
    m.completed.add(1);
    m.duration.add(s.durationMs);
  } else m.aborted.add(1);
  m.calls.add(s.calls);
}
