/**
 * The k6 summary a generated script writes from `handleSummary` (schema `floodgate/k6-summary@1`),
 * and what `floodgate observe` reads back. Times are milliseconds, token counts are totals, and
 * every count covers requests that arrived after the (scaled) warmup, as the run-result JSON does.
 * Types only: shared by the k6 runtime (k6/runtime/summary.ts) and Node (src/k6/observe.ts).
 * Fields are only ever added to `@1` (readers treat a missing optional field as its zero), so a
 * summary of an older script still reads.
 *
 * Example (abridged):
 * { "schema": "floodgate/k6-summary@1", "scenario": { "name": "quickstart", "seed": 42 },
 *   "mode": "stock", "ttftSource": "ttfb", "timeScale": 0.1, "rateScale": 0.5,
 *   "measuredMs": 66000, "droppedIterations": 0,
 *   "classes": { "tab": { "requests": 1180, "outcomes": { "ok": 1179, "rateLimited": 1, ... },
 *     "ttft": { "count": 1179, "mean": 301.2, "p50": 280.1, "p90": 410, "p95": 450, "p99": 702,
 *     "max": 930 }, ... },
 *     "agent": { "requests": 340, ..., "sessions": { "started": 20, "completed": 17, "aborted": 1,
 *     "unfinished": 2, "successShare": 0.85, "duration": { "count": 17, ... }, "callsPerSession": 18.9 } } },
 *   "overall": { ... }, "thresholds": [ { "metric": "floodgate_tab_ttft", "threshold": "p(99)<=1500",
 *     "pass": true } ], "pass": true }
 */

export const K6_SUMMARY_SCHEMA = 'floodgate/k6-summary@1';

/** Percentiles of one latency metric in ms; null when nothing was measured. */
export interface ObservedLatency {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Terminal outcome of each request (after the client's own retries). */
export interface ObservedOutcomes {
  ok: number;
  /** The last try got 429 (a rate limit). */
  rateLimited: number;
  /**
   * The last try got a 429 that never passes by waiting (OpenAI's `insufficient_quota`). Absent
   * in summaries of scripts compiled before dialects (read as 0).
   */
  quotaExceeded?: number;
  /**
   * The last try found the provider overloaded, where its dialect tells it apart from other
   * server errors (Anthropic's 529 `overloaded_error`, also inside a stream; Gemini's 503
   * `UNAVAILABLE`). Absent in summaries of scripts compiled before dialects (read as 0).
   */
  overloaded?: number;
  /** The last try got another 5xx (OpenAI's 503 included). */
  serverError: number;
  /** The last try hit the client timeout. */
  timedOut: number;
  /** Other HTTP errors (4xx except 429), connection errors, streams that ended early. */
  otherError: number;
  /** The user's patience (`client.abandonAfter`) ran out. */
  abandoned: number;
  /**
   * The user's next keystroke came first (class `cancelAfter`): the try was cut, or, within the
   * `debounce`, nothing was sent. Absent in summaries of scripts compiled before it existed (read
   * as 0).
   */
  cancelled?: number;
}

/**
 * Agent sessions (class `session`) that started after the warmup, one per k6 iteration: the same
 * figures as the run result's `sessions` block (src/metrics/result.ts).
 */
export interface ObservedSessions {
  started: number;
  completed: number;
  aborted: number;
  /** Started, neither completed nor aborted: k6 stopped them when `gracefulStop` (the drain) ran out. */
  unfinished: number;
  /** completed / started; null when none started. */
  successShare: number | null;
  /** Arrival to the end of the last call, completed sessions only. */
  duration: ObservedLatency;
  /** Requests per ended (completed or aborted) session, retried calls included; null when none ended. */
  callsPerSession: number | null;
}

export interface ObservedClass {
  /** Requests that arrived after the warmup; the outcomes add up to it. */
  requests: number;
  outcomes: ObservedOutcomes;
  /** Client tries (first tries plus client retries). */
  attempts: number;
  /** Iterations k6 could not start for lack of VUs (the load generator's own limit). */
  droppedIterations: number;
  ttft: ObservedLatency;
  tpot: ObservedLatency;
  e2e: ObservedLatency;
  /** Gaps between streamed content events (sse mode only; count 0 in stock mode). */
  itl: ObservedLatency;
  /** From the `usage` the server reports. */
  inputTokens: number;
  outputTokens: number;
  /**
   * Prompt tokens read from a prompt cache (OpenAI `cached_tokens`, Anthropic
   * `cache_read_input_tokens`, Gemini `cachedContentTokenCount`); absent in older summaries.
   */
  cachedInputTokens?: number;
  /** Completions that met every SLO of their class. */
  goodput: number;
  /** Present for session classes (and `overall` when the scenario has any). */
  sessions?: ObservedSessions;
}

export interface ObservedThreshold {
  metric: string;
  threshold: string;
  pass: boolean;
}

export interface K6Summary {
  schema: typeof K6_SUMMARY_SCHEMA;
  scenario: { name: string; file: string; seed: number; durationMs: number; warmupMs: number };
  mode: 'stock' | 'sse';
  /** How TTFT was measured: time to first byte (a proxy) or the first streamed content event. */
  ttftSource: 'ttfb' | 'first-event';
  timeScale: number;
  rateScale: number;
  /**
   * Load generators that shared the run (FLOODGATE_PARALLELISM, e.g. k6-operator runners): this
   * summary covers 1/parallelism of the traffic.
   */
  parallelism: number;
  /** Real length of the measured window: (duration - warmup) x timeScale. */
  measuredMs: number;
  /** Wall time of the whole k6 run, as k6 reports it. */
  testRunDurationMs: number | null;
  /** Iterations the stages were meant to start (their integral), this generator's share, a whole number. */
  expectedIterations: number;
  droppedIterations: number;
  /**
   * This load generator's VUs: `preAllocated` and `max` as planned (the sum over class
   * scenarios, divided by the parallelism), `peak` the most k6 had initialised (its `vus_max`
   * metric; null when absent). Absent from summaries of older scripts.
   */
  vus?: { preAllocated: number; max: number; peak: number | null };
  /** Requests that arrived during the warmup (sent, not summarised). */
  warmupRequests: number;
  classes: Record<string, ObservedClass>;
  overall: ObservedClass;
  thresholds: ObservedThreshold[];
  /** Every threshold passed. */
  pass: boolean;
}
