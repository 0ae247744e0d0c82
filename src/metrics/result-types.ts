/**
 * The run-result JSON's types: the stable output of a run (schema `floodgate/run-result@1`). Times
 * are milliseconds, costs USD, shares fractions of offered requests. Everything in it is a pure
 * function of (scenario, seed): no wall-clock figures, so the same seed gives identical JSON.
 * Public API: readers (reports, observe, compare, users) import these; `result.ts` builds them.
 */
import type { LatencySummary } from '../engine/histogram.ts';
import type { RecoveryResult } from './recovery.ts';
import type { RejectionCount } from './rejections.ts';
import type { SloVerdict } from './slo.ts';

export const RUN_RESULT_SCHEMA = 'floodgate/run-result@1';

export interface RequestCounts {
  /** Requests that arrived after warmup. */
  offered: number;
  /** Terminal outcomes; they add up to offered (FG-1). */
  completed: number;
  shed: number;
  rateLimited: number;
  failed: number;
  timedOut: number;
  abandoned: number;
  /** The user moved on before the response (tab completions: the next keystroke). */
  cancelled: number;
  /** Still in flight when the drain time ran out. */
  unfinished: number;
  /** Provider attempts, client retries (new tries) and gateway retries. */
  attempts: number;
  clientRetries: number;
  gatewayRetries: number;
  /** Retries (and hedges) a retry budget refused (gateway or client). */
  retriesDenied: number;
  /** Backup attempts sent by hedging. */
  hedges: number;
  /** Attempts per offered request. */
  amplification: number;
  /** Completions that met every SLO of their class. */
  goodput: number;
  goodputPerSec: number;
  goodputShare: number;
  completedShare: number;
  errorShare: number;
  shedShare: number;
  timeoutShare: number;
  rateLimitedShare: number;
  cancelledShare: number;
}

export interface LatencyBlock {
  ttft: LatencySummary;
  tpot: LatencySummary;
  itl: LatencySummary;
  e2e: LatencySummary;
  queueWait: LatencySummary;
}

export type { RejectionCount } from './rejections.ts';

export interface ClassResult {
  requests: RequestCounts;
  /** Policy rejections by policy and reason (admission first, then most frequent first). */
  rejections: RejectionCount[];
  latency: LatencyBlock;
  cost: CostBlock;
  /** Agent-session figures, for classes whose arrivals are sessions. */
  sessions?: SessionBlock;
  /** Quality figures (when the scenario has a `quality` section). */
  quality?: QualityBlock;
}

/**
 * Quality as an outcome (docs/concepts/quality.md), over requests that arrived after warmup. An
 * answer is acceptable when the request completed and its model's capability covered the
 * request's difficulty; quality goodput counts acceptable answers that also met every SLO of
 * their class. Shares are of offered requests.
 */
export interface QualityBlock {
  acceptable: number;
  acceptableShare: number;
  qualityGoodput: number;
  qualityGoodputPerSec: number;
  qualityGoodputShare: number;
  /** Token cost (attempts and the router's own calls, `cost.totalUsd`) per acceptable answer; null when none. */
  costPerAcceptableUsd: number | null;
  /** The routing policy's own model calls (classifier, judge), and their cost (USD, in `cost.totalUsd`). */
  routerCalls: number;
  routerCostUsd: number;
  /** Ok answers a judge rejected, each followed by an attempt on another model. */
  escalations: number;
}

/** Agent sessions that arrived after warmup. Durations are ms from arrival to the last call's end. */
export interface SessionBlock {
  started: number;
  completed: number;
  aborted: number;
  /** Still running when the drain ran out. */
  unfinished: number;
  successShare: number;
  duration: LatencySummary;
  callsPerSession: number;
  inputTokensPerSession: number;
  outputTokensPerSession: number;
  costPerSessionUsd: number;
}

export interface CostBlock {
  /**
   * Token-billed cost of attempts (hosted APIs; pools with token prices), plus the routing
   * policy's own calls (a classifier, a judge) when it makes any (`routerUsd`).
   */
  totalUsd: number;
  /** Of `totalUsd`, the routing policy's own calls (present only when there were some). */
  routerUsd?: number;
  /** Self-hosted fleet cost: replica-hours up x price per replica-hour (overall block only). */
  fleetUsd?: number;
  perRequestUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from prompt caches (billed at the cached price). */
  cachedInputTokens: number;
  /** Output tokens and cost billed for requests the user cancelled: work nobody saw. */
  wastedOutputTokens: number;
  wastedUsd: number;
}

export interface ProviderResult {
  kind: string;
  attempts: number;
  /** Attempt statuses: ok, rate_limited, quota_exceeded, server_error, overloaded, bad_request, stream_cut, timeout, cancelled. */
  statuses: Record<string, number>;
  /** Time waiting in the provider's own queue. */
  queueWait: LatencySummary;
  /** Service start to end. */
  serviceTime: LatencySummary;
  /** Attempt start to first token (provider-side TTFT). */
  ttft: LatencySummary;
  /**
   * Busy capacity-time over available capacity-time, over the measured span: from the end of the
   * warm-up to the end of arrivals (`durationMs`). The warm-up's empty start and the drain's idle
   * tail are left out, as the offered traffic's figures leave them out.
   */
  utilization: number;
  inputTokens: number;
  /** Prompt tokens this provider served from its prompt cache. */
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
  /**
   * A GPU pool's prefix caches (with prefix caching on): prompt tokens of every first admission
   * (warmup included) and how many the caches served, pool-wide and per replica in id order (a
   * disaggregated pool: its decode replicas, then its prefill replicas);
   * `tokenHitRate` = cachedTokens / promptTokens.
   */
  prefixCache?: PrefixCacheResult;
  /** Kind-specific figures: for a GPU pool replicas, timeModel, kvCapacityTokensPerReplica, iterations, preemptions, prefixCacheHits, replicaHoursUp, fleetCostUsd. */
  details?: Record<string, number | string>;
}

export interface PrefixCacheTokens {
  promptTokens: number;
  /** Served by the GPU prefix cache. */
  cachedTokens: number;
  tokenHitRate: number;
  /**
   * With a CPU tier (`prefixCache.offload`): prompt tokens it served (loaded back, not prefilled),
   * their share of the prompt tokens, the loads, and the milliseconds of transfer they took.
   */
  offloadedTokens?: number;
  offloadHitRate?: number;
  offloadLoads?: number;
  offloadTransferMs?: number;
}

export interface PrefixCacheResult extends PrefixCacheTokens {
  replicas: PrefixCacheTokens[];
}

export interface TimeSeriesBlock {
  intervalMs: number;
  /** Window start times. */
  startMs: number[];
  offered: (number | null)[];
  admitted: (number | null)[];
  completed: (number | null)[];
  goodput: (number | null)[];
  attempts: (number | null)[];
  shed: (number | null)[];
  rateLimited: (number | null)[];
  failed: (number | null)[];
  timedOut: (number | null)[];
  abandoned: (number | null)[];
  cancelled: (number | null)[];
  costUsd: (number | null)[];
  gatewayInFlight: (number | null)[];
  gatewayQueued: (number | null)[];
  liveRequests: (number | null)[];
  /** Agent sessions in progress, sampled at each window's end. */
  sessionsInProgress: (number | null)[];
  providers: Record<
    string,
    {
      attempts: (number | null)[];
      errors: (number | null)[];
      inService: (number | null)[];
      queued: (number | null)[];
      /** Mean KV-cache use over replicas (GPU pools only). */
      kvUsage?: (number | null)[];
      /**
       * Share of the input tokens of attempts ending in each window that prompt or prefix caches
       * served (null: no input tokens); present once any attempt of the provider had cached tokens.
       */
      cachedShare?: (number | null)[];
      /** Of the input tokens per window, the share a GPU pool's CPU KV tier served (in cachedShare too); present once any was. */
      offloadShare?: (number | null)[];
      /**
       * An autoscaled GPU pool's replicas at each window's end: the scale its autoscaler asks for,
       * those starting (provisioning, loading, warming up) and those ready.
       */
      replicasDesired?: (number | null)[];
      replicasStarting?: (number | null)[];
      replicasReady?: (number | null)[];
      /** An autoscaled GPU pool's fleet cost billed so far (USD) at each window's end. */
      fleetCostUsd?: (number | null)[];
      /**
       * A pool on a node pool: its nodes at each window's end, requested and not removed, those
       * provisioning, and those ready.
       */
      nodesRequested?: (number | null)[];
      nodesProvisioning?: (number | null)[];
      nodesReady?: (number | null)[];
    }
  >;
  classes: Record<
    string,
    {
      offered: (number | null)[];
      completed: (number | null)[];
      goodput: (number | null)[];
      /** Goodput by arrival window: of the requests that arrived in each window, how many were served within their targets. */
      goodputByArrival: (number | null)[];
      ttftP50: (number | null)[];
      ttftP99: (number | null)[];
      e2eP50: (number | null)[];
      e2eP99: (number | null)[];
      /** With quality: acceptable answers and quality goodput per window (by completion). */
      acceptable?: (number | null)[];
      qualityGoodput?: (number | null)[];
      /** With quality: of the requests that arrived in each window, the share answered acceptably (null: none arrived). */
      acceptableShare?: (number | null)[];
    }
  >;
  /** With quality: acceptable answers and quality goodput per window (by completion), all classes. */
  acceptable?: (number | null)[];
  qualityGoodput?: (number | null)[];
  /** With quality: of the requests that arrived in each window, the share answered acceptably (null: none arrived). */
  acceptableShare?: (number | null)[];
}

export interface RunResult {
  schema: typeof RUN_RESULT_SCHEMA;
  scenario: { name: string; description: string | null; file: string };
  seed: number;
  /** The seed the offered traffic was drawn from, when not `seed` (SimulateOptions.trafficSeed). */
  trafficSeed?: number;
  /** Whose luck each attempt met (SimulateOptions.luck), when not the default `arrival`. */
  luck?: 'request';
  durationMs: number;
  warmupMs: number;
  /** Simulated time when the run ended (duration plus the drain actually used). */
  endMs: number;
  /** Engine events dispatched. */
  events: number;
  requests: RequestCounts;
  /**
   * Policy rejections by policy and reason, admission first, then most frequent first. A
   * routing rejection of a hedge counts here though the request runs on; a full or expired
   * gateway queue sheds without a policy rejection.
   */
  rejections: RejectionCount[];
  latency: LatencyBlock;
  cost: CostBlock;
  classes: Record<string, ClassResult>;
  /** Agent sessions over all session classes (absent when the scenario has none). */
  sessions?: SessionBlock;
  /** Quality figures over all classes (when the scenario has a `quality` section). */
  quality?: QualityBlock;
  providers: Record<string, ProviderResult>;
  slos: SloVerdict[];
  /** The cascade verdict per trigger (when the scenario declares `recovery`). */
  recovery?: RecoveryResult;
  /** Every SLO passed and the run recovered from every trigger. */
  pass: boolean;
  timeseries: TimeSeriesBlock;
}
