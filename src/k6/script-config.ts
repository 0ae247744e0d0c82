/**
 * The data a generated k6 script carries: what the compiler (src/k6/compile.ts, on Node) hands
 * the runtime (k6/runtime/, inside k6). Plain JSON only, so it can be inlined into the bundle and
 * read by a human in the generated file. Types only: this module is imported by both sides and
 * by the k6 type check (k6/tsconfig.json), so it must not touch Node or k6 APIs.
 */
import type { DistributionSpec } from '../engine/dist/spec.ts';
import type { ApiDialect } from '../providers/dialects.ts';

/** `stock`: k6/http only, TTFT is time to first byte. `sse`: xk6-sse, TTFT is the first content event. */
export type K6Mode = 'stock' | 'sse';

export const SCRIPT_CONFIG_SCHEMA = 'floodgate/k6-script@1';

/** One `ramping-arrival-rate` stage: reach `target` iterations per `timeUnit` over `duration`. */
export interface K6Stage {
  duration: string;
  target: number;
}

/** The k6 scenario generated for one request class (a subset of k6's RampingArrivalRateScenario). */
export interface K6RampingArrivalRate {
  executor: 'ramping-arrival-rate';
  startRate: number;
  timeUnit: string;
  stages: K6Stage[];
  preAllocatedVUs: number;
  maxVUs: number;
  startTime: string;
  gracefulStop: string;
  exec: string;
  tags: Record<string, string>;
}

/** The exported `options` of a generated script (checked against @types/k6's Options in k6/). */
export interface K6Options {
  scenarios: Record<string, K6RampingArrivalRate>;
  thresholds: Record<string, string[]>;
  summaryTrendStats: string[];
  summaryTimeUnit: string;
  discardResponseBodies: boolean;
}

/** Backoff between client tries (the scenario's `retries.backoff`, times in ms). */
export interface BackoffPlan {
  base: number;
  cap: number;
  multiplier: number;
  jitter: 'none' | 'full' | 'equal' | 'decorrelated';
}

/** The users' behaviour of one class: timeout per try, retries, patience (times in ms). */
export interface ClientPlan {
  timeoutMs: number | null;
  retries: {
    max: number;
    on: readonly ('rate-limited' | 'server-error' | 'timeout' | 'stream-cut')[];
    backoff: BackoffPlan;
    respectRetryAfter: boolean;
  };
  abandonAfter: DistributionSpec | null;
}

/**
 * Agent sessions (the class's `session`): one k6 iteration is one session, its calls in sequence
 * as src/workload/sessions.ts plays them. Sizes are tokens, `thinkTime` ms.
 */
export interface SessionPlan {
  calls: DistributionSpec;
  toolTokens: DistributionSpec;
  thinkTime: DistributionSpec;
  maxContext: number;
  /** Tries again after a failed call (after its think time) before the session aborts. */
  retries: number;
}

/**
 * Trace replay: the class's iterations take their sizes from `records` trace records in arrival
 * order (inlined beside the configuration, see `TraceRecords`). Iteration i takes record
 * floor(i / iterationsPerRecord) (clamped), so the sizes follow the trace through time whatever
 * --rate-scale and --time-scale do to the count.
 */
export interface TracePlan {
  records: number;
  iterationsPerRecord: number;
}

/**
 * Trace records per class name, each [prompt tokens, output tokens], in arrival order. Kept out
 * of `ScriptConfig` because the script loads them once into a k6 SharedArray instead of a copy
 * per VU.
 */
export type TraceRecords = Record<string, [number, number][]>;

/** Everything the runtime needs about one request class. */
export interface ClassPlan {
  /** The scenario's class name (summary keys, tags). */
  name: string;
  /** The k6 scenario name (letters, digits, _ and -). */
  scenario: string;
  /** Metric name prefix, e.g. `floodgate_tab`: custom metrics are `<prefix>_ttft`... */
  metricPrefix: string;
  /** The `model` field of the request body (Gemini: of the path). */
  model: string;
  /**
   * The API dialect the class's requests speak (k6/runtime/dialect.ts): its provider's `api`,
   * `openai-chat` for providers that name none and for queue and GPU pools.
   */
  api: ApiDialect;
  stream: boolean;
  promptTokens: DistributionSpec;
  outputTokens: DistributionSpec;
  prefix: { groups: number; tokens: number } | null;
  trace: TracePlan | null;
  client: ClientPlan;
  /** Time to the user's next keystroke (ms), drawn per request: a request not done by then is cancelled. */
  cancelAfter: DistributionSpec | null;
  /** Wait this long (ms) before sending; a keystroke within it means nothing is sent. */
  debounceMs: number | null;
  /** Each iteration is an agent session of this shape; null for plain requests. */
  session: SessionPlan | null;
  /** The class's goodput targets (ms); null where the class sets none. */
  slo: { ttftMs: number | null; tpotMs: number | null; e2eMs: number | null };
  /** Sent as headers X-Floodgate-Priority, X-Floodgate-Tenant, X-Floodgate-Deadline-Ms for the gateway. */
  priority: number;
  tenant: string | null;
  deadlineMs: number | null;
  /** When the class's k6 scenario starts, in ms of the (scaled) test (leading zero rate skipped). */
  startOffsetMs: number;
  /** Iterations the stages start, their integral rounded to a whole number (what the run should offer; sessions for a session class). */
  expectedIterations: number;
}

/** The whole configuration inlined into a generated script. */
export interface ScriptConfig {
  schema: typeof SCRIPT_CONFIG_SCHEMA;
  scenario: { name: string; file: string; seed: number; durationMs: number; warmupMs: number };
  mode: K6Mode;
  /** Real seconds per scenario second (0.0667 plays 15 min in 1 min). */
  timeScale: number;
  /** Multiplier on every arrival rate. */
  rateScale: number;
  /** Used when FLOODGATE_TARGET is unset (no secret: a URL the user passed to --target). */
  defaultTarget: string;
  classes: ClassPlan[];
  options: K6Options;
}
