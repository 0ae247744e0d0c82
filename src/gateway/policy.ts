/**
 * The policy API: what a routing or admission policy is, what it sees, and what it returns.
 * Built-in policies (policies/) and user policy modules use exactly this interface.
 *
 * Architecture invariant (FG-5, no oracle): everything a policy receives is something a real
 * gateway can observe: the request as sent (class, priority, prompt size, deadline), its own
 * in-flight counts, and the outcomes and latencies of attempts it made. True output lengths,
 * provider queue lengths and fault states are deliberately absent from these types.
 */
import type { z } from 'zod';

/** A request as the gateway sees it when it arrives (no output length: that is not known yet). */
export interface RequestView {
  readonly id: number;
  readonly className: string;
  readonly classIndex: number;
  /** Higher is more important. */
  readonly priority: number;
  readonly promptTokens: number;
  readonly stream: boolean;
  readonly tenant: string | undefined;
  /** Arrival at the gateway (ms). */
  readonly arrivalMs: number;
  /** Absolute deadline (ms), Infinity when the class has none. */
  readonly deadlineMs: number;
  /**
   * Shared-prefix group of the prompt (-1: none), as a gateway sees it by hashing the prompt's
   * leading blocks; prefix-affinity routing keys on it.
   */
  readonly prefixId: number;
  /** Leading prompt tokens that prefix covers (0 without one). */
  readonly prefixTokens: number;
  /**
   * Hashes of the prompt's blocks, `blockTokens` tokens each, as a gateway that hashes the prompt
   * gets them (a trace's `hash_ids`); empty when the request has none (then `prefixId` stands for
   * its shared prefix).
   */
  readonly blockHashes: readonly number[];
  /** Tokens per hashed block (0 without hashes). */
  readonly blockTokens: number;
  /** The class's per-request targets (ms), Infinity where it sets none. */
  readonly slo: { readonly ttftMs: number; readonly tpotMs: number; readonly e2eMs: number };
  /**
   * A learned classifier's estimate of the request's difficulty in [0, 1] (RouteLLM's router
   * score), with the accuracy the scenario's `quality.estimator` gives; NaN without a `quality`
   * section. The true difficulty is not in the view (FG-5).
   */
  readonly difficultyEstimate: number;
}

/**
 * Where a routing call stands in the request's life: its attempt number within the current try
 * (0 for the first), and the target the previous attempt went to. Valid during the call only.
 */
export interface RouteContext {
  readonly attempt: number;
  readonly previous: TargetView | undefined;
}

/**
 * Gauges a gateway scrapes from a self-hosted server (vLLM's num_requests_waiting,
 * num_requests_running, gpu_cache_usage_perc), as of `atMs`: stale by up to the scrape interval.
 * For a pool seen as one target they are summed (waiting, running) and averaged (kvUsage).
 */
export interface ScrapedMetrics {
  readonly waiting: number;
  readonly running: number;
  /** KV-cache use in [0, 1]. */
  readonly kvUsage: number;
  /** When the scrape happened. */
  readonly atMs: number;
}

/**
 * The deployment group a target belongs to, as LiteLLM's router groups deployments by model name:
 * the targets that serve the target's (first) model. Kept current as targets join and leave.
 */
export interface TargetGroup {
  /** The model name: the target's first model (its provider's name when it lists none). */
  readonly model: string;
  /** Active targets serving that model (this one included while it is active). */
  readonly size: number;
}

/** A routing target as the gateway sees it: its own bookkeeping, never the provider's internals. */
export interface TargetView {
  /** Identity of the target: stable for the run and never reused, also after it leaves. */
  readonly index: number;
  /** Target name: the provider's, or `pool/3` for replica 3 of a GPU pool exposed as replicas. */
  readonly name: string;
  /** Provider name (the pool's, for a replica). */
  readonly provider: string;
  readonly kind: string;
  readonly models: readonly string[];
  /** Its deployment group: its model and how many active targets serve it (health policies use it). */
  readonly group: TargetGroup;
  /** Attempts this gateway has in flight to the target. */
  readonly inFlight: number;
  /** Attempts started, succeeded, failed (any non-ok status) so far. */
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  /** Latency of the last successful attempt to first token (ms), NaN before any. */
  readonly lastTtftMs: number;
  /** Retry-after the target last answered with, as an absolute time (ms); 0 if none. */
  readonly retryAfterUntilMs: number;
  /** Prices per million tokens (the gateway's price table). */
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Last scrape of a self-hosted target (undefined for hosted APIs). */
  readonly scraped: ScrapedMetrics | undefined;
}

/** The gateway as admission policies see it. */
export interface GatewayView {
  /** Requests admitted and not yet finished. */
  readonly inFlight: number;
  /** Requests waiting in the gateway queue. */
  readonly queued: number;
}

/** One rate-limit bucket as a response's headers state it. */
export interface RateLimitBucketView {
  /** The limit per minute. */
  readonly limit: number;
  /** What was left when the response was sent. */
  readonly remaining: number;
  /**
   * Until the bucket is full again (ms from when the provider counted the request: the attempt's
   * start, the network aside).
   */
  readonly resetMs: number;
}

/**
 * The rate-limit headers of the last response (OpenAI `x-ratelimit-*-requests|tokens`, Anthropic
 * `anthropic-ratelimit-requests|input-tokens|output-tokens-*`): what a real gateway reads. A
 * bucket is undefined where the response carried none.
 */
export interface RateLimitView {
  readonly requests: RateLimitBucketView | undefined;
  readonly inputTokens: RateLimitBucketView | undefined;
  readonly outputTokens: RateLimitBucketView | undefined;
}

/** What happened to one attempt, reported to `onOutcome` when the gateway learns it. */
export interface AttemptOutcomeView {
  readonly request: RequestView;
  readonly target: TargetView;
  /** ok, rate_limited, quota_exceeded, server_error, overloaded, bad_request, stream_cut, timeout, cancelled. */
  readonly status: string;
  readonly startMs: number;
  readonly endMs: number;
  /** First token minus attempt start (ms), NaN if no token came. */
  readonly ttftMs: number;
  /** End minus start (ms). */
  readonly latencyMs: number;
  readonly retryAfterMs: number;
  /** Output tokens the response carried (the usage a real response reports). */
  readonly outputTokens: number;
  /** In-flight attempts at the gateway when this one started (for limit algorithms). */
  readonly inFlightAtStart: number;
  /**
   * The response's rate-limit headers; undefined when it sent none (Gemini, a provider without
   * limits, an attempt the gateway stopped waiting for).
   */
  readonly rateLimit?: RateLimitView | undefined;
}

/**
 * A refusal with a reason constant (e.g. 'over-limit'), counted per policy and reason in the run
 * result (`rejections`), the summary and the report. Keep reasons few and constant: past 32
 * distinct reasons a policy's further ones are counted under 'other'.
 */
export interface Rejection {
  readonly reject: string;
}
export function reject(reason: string): Rejection {
  return { reject: reason };
}
export function isRejection(x: unknown): x is Rejection {
  return typeof x === 'object' && x !== null && 'reject' in x;
}

export type AdmissionDecision = 'admit' | 'enqueue' | Rejection;
export type RoutingDecision = TargetView | Rejection;

/** Services a policy gets at creation: time, its own random stream, timers. */
export interface PolicyContext {
  now(): number;
  /** Uniform [0, 1) from the policy's own seeded stream (never Math.random). */
  random(): number;
  /** Calls `fn` after `delayMs` of (simulated or wall) time. */
  schedule(delayMs: number, fn: () => void): void;
  /**
   * Asks the gateway to offer the head of its queue to admission again now (the queue otherwise
   * moves only when a request finishes): for policies whose limit grows on a timer or a refill.
   */
  offerQueue(): void;
}

/**
 * What a self-hosted target's KV cache stored or evicted, as a gateway subscribed to its KV
 * events receives it (vLLM's BlockStored, BlockRemoved, AllBlocksCleared, which llm-d's
 * KV-cache-aware routing indexes): block keys named as src/providers/block-chain.ts names them.
 * Delivered as it happens; a policy models the transport's delay itself.
 */
export interface KvCacheEventView {
  /** `TargetView.index` of the target whose cache changed (the pool's, for a pool seen as one target). */
  readonly target: number;
  readonly kind: 'stored' | 'removed' | 'cleared';
  readonly keys: readonly number[];
  /** When the cache changed. */
  readonly atMs: number;
}

/**
 * A router's own model call, run by the gateway: a difficulty classifier (RouteLLM) before the
 * first routing decision on a request. Its latency delays that decision; its cost is the request's.
 */
export interface RouterCall {
  readonly latencyMs: number;
  readonly costUsd: number;
}

/**
 * A scorer of answers (FrugalGPT's): reads an ok answer and accepts it, or rejects it so the
 * request escalates. It errs at the given rates: it rejects an acceptable answer with probability
 * `falseReject` and accepts an unacceptable one with probability `falseAccept` (the gateway
 * draws its errors from its own stream, `gateway/judge`). Its latency holds the answer back (the
 * client sees it only once accepted); its cost is the request's.
 */
export interface JudgeCall extends RouterCall {
  readonly falseAccept: number;
  readonly falseReject: number;
}

export interface RoutingPolicy {
  /**
   * Picks one of `targets` (those allowed for the request's class, in a stable order) or rejects.
   * Called again for each gateway retry.
   */
  route(req: RequestView, targets: readonly TargetView[], context: RouteContext): RoutingDecision;
  onOutcome?(outcome: AttemptOutcomeView): void;
  /** Subscribes the gateway to its self-hosted targets' KV events (none are sent otherwise). */
  onKvEvent?(event: KvCacheEventView): void;
  /** A classifier the gateway runs once per request, before its first routing decision. */
  readonly classifier?: RouterCall;
  /**
   * The judge to run on an ok answer, or undefined to accept it as it is (the strongest model's,
   * in a cascade). When the judge rejects the answer, `route` is called again with
   * `context.attempt > 0` and `context.previous` the target that answered (an escalation).
   */
  judge?(outcome: AttemptOutcomeView): JudgeCall | undefined;
}

export interface AdmissionPolicy {
  /**
   * Admit now, keep waiting in the gateway queue ('enqueue'), or reject (shed). Called on arrival
   * (`waitedMs` 0) and again for the head of the queue whenever a request finishes (`waitedMs`:
   * how long it has waited in the queue).
   */
  admit(req: RequestView, gateway: GatewayView, waitedMs: number): AdmissionDecision;
  /** An admitted request finished at the gateway (any outcome); `latencyMs` from admission. */
  onRelease?(req: RequestView, outcome: string, latencyMs: number): void;
  onOutcome?(outcome: AttemptOutcomeView): void;
}

/**
 * A health policy takes targets out of rotation after failures (circuit breakers, outlier
 * ejection, cooldowns): routing only sees targets it allows. When it allows none of a class's
 * targets, routing gets them all (failing open, rather than failing every request at once),
 * unless the policy sets `failOpen: false`: then the try is shed without an attempt, as
 * LiteLLM answers "No deployments available" while every deployment is cooling down.
 */
export interface HealthPolicy {
  allows(target: TargetView): boolean;
  onOutcome?(outcome: AttemptOutcomeView): void;
  /** Default true. */
  readonly failOpen?: boolean;
}

export type PolicyKind = 'routing' | 'admission' | 'health';
type PolicyFor<K extends PolicyKind> = K extends 'routing'
  ? RoutingPolicy
  : K extends 'admission'
    ? AdmissionPolicy
    : HealthPolicy;

/** A policy module's default export. */
export interface PolicyDefinition<K extends PolicyKind = PolicyKind, P = Record<string, unknown>> {
  /** Equals the file name and the YAML value. */
  readonly name: string;
  readonly kind: K;
  readonly description?: string;
  /** Validates and fills in `params` (a zod schema); errors are reported like scenario errors. */
  readonly params?: z.ZodType<P, unknown>;
  create(params: P, ctx: PolicyContext): PolicyFor<K>;
}

/**
 * Declares a policy. Example:
 *
 *   export default definePolicy({
 *     name: 'first-target', kind: 'routing',
 *     create: () => ({ route: (req, targets) => targets[0] ?? reject('no-target') }),
 *   });
 */
export function definePolicy<K extends PolicyKind, P = Record<string, unknown>>(
  def: PolicyDefinition<K, P>,
): PolicyDefinition<K, P> {
  return def;
}
