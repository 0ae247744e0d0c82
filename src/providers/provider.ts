import type { Attempt } from './attempt.ts';
import type { FaultState } from './faults/fault-state.ts';

/** Receives every attempt a provider finishes, exactly once each. */
export interface AttemptSink {
  attemptDone(attempt: Attempt): void;
}

/**
 * Provider: a model of something that serves attempts (a queue of servers, a hosted API, a GPU
 * pool). One implementation per `kind`, in its own folder. Providers schedule through a
 * `Scheduler`, so the same object runs in simulation and in the emulator.
 *
 * Contract (checked by test/providers/provider.case.ts): every submitted attempt reaches
 * `sink.attemptDone` exactly once, unless it was cancelled while queued or hangs in a fault;
 * `status` is never 'pending' when reported; `endMs >= startMs`.
 */
/** Capacity-milliseconds from the start of the run: servers (slots, replicas) busy, and available. */
export interface CapacityTime {
  busyMs: number;
  availableMs: number;
}

export interface Provider {
  readonly name: string;
  readonly kind: string;
  /** Model names served. */
  readonly models: readonly string[];
  /** Faults in force (the fault timeline mutates it and calls `faultsChanged`). */
  readonly faults: FaultState;
  submit(attempt: Attempt): void;
  /** The gateway stopped waiting for `attempt` (timeout or client cancel). */
  cancel(attempt: Attempt): void;
  faultsChanged(): void;
  /** Ground truth for metrics only (never shown to policies). */
  inService(): number;
  queued(): number;
  /** Busy capacity-time so far over available capacity-time, in [0, 1]. */
  utilization(nowMs: number): number;
  /**
   * Busy and available capacity-time from the start to `nowMs` (what `utilization` divides): the
   * simulator takes the difference of two readings to report utilization over the measured span.
   */
  capacityTime(nowMs: number): CapacityTime;
  /** Concurrent capacity (servers, slots, replicas), before faults. */
  readonly capacity: number;
  /** Model-specific figures for the result (a GPU pool's iterations, preemptions...). */
  stats?(nowMs: number): Record<string, number | string>;

  // Facets: what callers need to know of any provider, so none checks a `kind` or casts.

  /**
   * Output tokens of `attempt` (submitted here) that have reached the caller by `nowMs`: what the
   * emulator has streamed so far. Providers report tokens only when an attempt ends (one event
   * per attempt, never one per token), so each works this out from its own plan. Non-decreasing
   * in time, never above the request's output tokens, 0 before the first token; once the attempt
   * is reported, its reported `outputTokens`. Ground truth: the emulator's pacing, never policies.
   */
  deliveredTokens(attempt: Attempt, nowMs: number): number;
  /**
   * True when the provider keeps no reference to an attempt once it has reported it (no pending
   * timer, queue entry or map key holds it), so its caller may reuse the record for a later call
   * (the gateway's record pool). Absent: the record is never reused.
   */
  readonly forgetsReported?: boolean;
  /**
   * Most prompt + output tokens one request may have; larger ones are answered 400
   * (`bad_request`). Infinity when nothing limits it.
   */
  readonly contextWindow: number;
  /**
   * The load a self-hosted server exposes to scrapers (vLLM's /metrics), now, over the whole
   * provider: waiting and running summed over replicas, KV use averaged over the replicas up.
   * Always undefined for a provider that exposes none (a hosted API, an abstract queue).
   */
  gauges(): LoadGauges | undefined;
  /** The replicas, for a provider made of them (a GPU pool): absent for any other. */
  readonly replicas?: ReplicaSet;
  /**
   * Sends what each replica's prefix cache stores and evicts to `listener` from now on (vLLM's KV
   * events), keys as block-chain.ts names them; `keys` is valid during the call only. Absent for a
   * provider without prefix caches.
   */
  subscribeKvEvents?(listener: KvEventListener): void;
  /** Its prefix caches' tokens, pool-wide and per replica; undefined or absent without prefix caches. */
  prefixCacheStats?(): PrefixCacheStats | undefined;
}

/**
 * Prompt tokens of first admissions and how many a prefix cache served; with a CPU tier, the
 * tokens it served and its loads (count, transfer ms); `replicas` in id order.
 */
export interface PrefixCacheStats extends PrefixCacheCounts {
  readonly replicas: readonly PrefixCacheCounts[];
}

export interface PrefixCacheCounts {
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly offloadedTokens?: number;
  readonly offloadLoads?: number;
  readonly offloadTransferMs?: number;
}

/** Receives a replica's KV-cache events: `kind` stored, removed or cleared (then `keys` is empty). */
export type KvEventListener = (
  replicaId: number,
  kind: 'stored' | 'removed' | 'cleared',
  keys: readonly number[],
) => void;

/**
 * Gauges as a scraper reads them from a self-hosted server: vLLM's num_requests_waiting,
 * num_requests_running and gpu_cache_usage_perc. Example: `{ waiting: 3, running: 64, kvUsage: 0.82 }`.
 */
export interface LoadGauges {
  /** Requests waiting for admission. */
  readonly waiting: number;
  /** Requests in the running batch. */
  readonly running: number;
  /** KV-cache use in [0, 1]. */
  readonly kvUsage: number;
}

/** One replica's gauges, and whether it takes work (up, not lost to a fault or warming up). */
export interface ReplicaGauges extends LoadGauges {
  readonly up: boolean;
}

/**
 * The replicas of a provider made of them, for callers that address one replica: gateway
 * targets per replica (`expose: replicas`), the emulator's `/replicas/{id}` routes and its
 * per-replica metrics. A replica is named by an id, stable while it is in the set and never given
 * to another; positions 0..count-1 list the replicas in ascending id order. The set may change
 * between two calls (replicas joining or leaving a fleet), so hold ids, not positions.
 *
 * ```ts
 * for (let i = 0; i < set.count; i++) {
 *   const id = set.idAt(i); // 0, 1, 2 for a pool of three that never changed
 *   if (set.gauges(id).up) set.submitTo(id, attempt);
 * }
 * ```
 */
export interface ReplicaSet {
  /** Replicas in the set now. */
  readonly count: number;
  /** Id of the replica at `position` (0 <= position < count). */
  idAt(position: number): number;
  /** Whether a replica with this id is in the set. */
  has(id: number): boolean;
  /**
   * Submits to replica `id` (which must be in the set), bypassing the provider's own balancer;
   * a replica that is down answers 503 (`server_error`) at once. The attempt then follows the
   * provider's contract (cancel it through the provider).
   */
  submitTo(id: number, attempt: Attempt): void;
  /** Replica `id`'s gauges now (`id` must be in the set). */
  gauges(id: number): ReplicaGauges;
  /**
   * Tells `watcher` when a replica joins (ready to take traffic) or leaves (starts draining) while
   * the set scales; a set that never changes may not have it.
   */
  watch?(watcher: ReplicaWatcher): void;
}

/** A replica joined the set (`ready`) or left it (`draining`: no new work, its own finishes). */
export type ReplicaWatcher = (id: number, change: 'ready' | 'draining') => void;
