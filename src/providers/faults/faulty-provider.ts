import type { Scheduler } from '../../engine/clock.ts';
import type { RequestLuck } from '../../engine/luck.ts';
import type { Random } from '../../engine/rng.ts';
import type { Attempt } from '../attempt.ts';
import { FastAnswers } from '../fast-answer.ts';
import type {
  AttemptSink,
  CapacityTime,
  KvEventListener,
  LoadGauges,
  PrefixCacheStats,
  Provider,
  ReplicaGauges,
  ReplicaSet,
} from '../provider.ts';
import type { FaultState, OutputFaults } from './fault-state.ts';

export interface FaultyProviderOptions {
  /** Delay of an answer that takes no work (an outage's 503): the provider's network round trip. */
  answerMs?: number;
  /**
   * Per-request luck: each attempt is counted against its traffic key as it arrives (its seed set
   * on it, for the provider's draws too), and its fault draws are its own.
   */
  luck?: RequestLuck;
}

/**
 * FaultyProvider: the faults every provider kind shares, applied the same way over any provider.
 *
 * - outage: every new attempt gets a fast 503 (`server_error`) after `answerMs`, without
 *   reaching the provider (it takes no capacity and spends no rate limit);
 * - hang: new attempts never reach the provider and are never answered (the gateway's timeout
 *   or the client's cancel ends them);
 * - brownout error rate and stream cut: decided here, from the provider's fault stream, when the
 *   provider asks (`outputCap`); the provider then serves the attempt for as long as it takes to
 *   deliver that many tokens, so its busy time, KV use and billing stay its own.
 *
 * Everything else (latency multipliers, rate-limit storms, capacity loss) changes a model's
 * internals and stays in the provider, which reads the same `FaultState`. The wrapper adds no
 * event: outage answers are the only events it schedules, exactly one per refused attempt.
 */
export class FaultyProvider<P extends Provider = Provider> implements Provider, OutputFaults {
  readonly inner: P;
  readonly stats?: (nowMs: number) => Record<string, number | string>;
  /** The provider's replicas, each submission passing through the faults first. */
  readonly replicas?: ReplicaSet;
  readonly subscribeKvEvents?: (listener: KvEventListener) => void;
  readonly prefixCacheStats?: () => PrefixCacheStats | undefined;
  private readonly sink: AttemptSink;
  private readonly rng: Random;
  private readonly answerMs: number;
  /** Attempts held by a hang (never reported; a cancel forgets them). */
  private readonly hung = new Set<Attempt>();
  /** Attempts an error-rate draw failed, until the provider reports them. */
  private readonly failing = new Set<Attempt>();
  private readonly fast: FastAnswers;
  private readonly scheduler: Scheduler;
  private readonly luck: RequestLuck | undefined;

  /**
   * `build` makes the provider, given the sink it reports to (this wrapper, which passes reports
   * on to `sink`) and what it asks about output faults.
   */
  constructor(
    build: (sink: AttemptSink, faults: OutputFaults) => P,
    scheduler: Scheduler,
    sink: AttemptSink,
    faultRng: Random,
    options: FaultyProviderOptions = {},
  ) {
    this.sink = sink;
    this.scheduler = scheduler;
    this.luck = options.luck;
    this.rng = faultRng;
    this.answerMs = options.answerMs ?? 0;
    this.fast = new FastAnswers(scheduler, sink);
    const inner = build({ attemptDone: (a) => this.attemptDone(a) }, this);
    this.inner = inner;
    // Optional parts of the contract exist on the wrapper only if the provider has them.
    if (inner.stats) this.stats = (nowMs) => inner.stats!(nowMs);
    if (inner.replicas) this.replicas = new FaultyReplicas(inner.replicas, this);
    if (inner.subscribeKvEvents) this.subscribeKvEvents = (listener) => inner.subscribeKvEvents!(listener);
    if (inner.prefixCacheStats) this.prefixCacheStats = () => inner.prefixCacheStats!();
  }

  get name(): string {
    return this.inner.name;
  }
  get kind(): string {
    return this.inner.kind;
  }
  get models(): readonly string[] {
    return this.inner.models;
  }
  get capacity(): number {
    return this.inner.capacity;
  }
  get faults(): FaultState {
    return this.inner.faults;
  }
  get contextWindow(): number {
    return this.inner.contextWindow;
  }

  submit(a: Attempt): void {
    if (this.passes(a)) this.inner.submit(a);
  }

  /**
   * Applies outage and hang to `a`; true if it goes on to the provider. For callers that hand
   * an attempt to the provider some other way (one replica of a GPU pool).
   */
  passes(a: Attempt): boolean {
    if (this.luck) a.luckSeed = this.luck.begin(a.work.trafficKey, this.scheduler.now());
    const faults = this.inner.faults;
    if (faults.outage) {
      // Reported from a fresh event, so the gateway never re-enters itself from submit().
      this.fast.after(this.answerMs, a, 'server_error');
      return false;
    }
    if (faults.hang) {
      this.hung.add(a);
      return false;
    }
    return true;
  }

  cancel(a: Attempt): void {
    if (this.hung.delete(a)) return; // the provider never saw it
    this.inner.cancel(a);
  }

  faultsChanged(): void {
    this.inner.faultsChanged();
  }

  inService(): number {
    return this.inner.inService();
  }

  queued(): number {
    return this.inner.queued();
  }

  utilization(nowMs: number): number {
    return this.inner.utilization(nowMs);
  }

  capacityTime(nowMs: number): CapacityTime {
    return this.inner.capacityTime(nowMs);
  }

  /** The provider serves a cut output only up to its cut, so its own count holds. */
  deliveredTokens(a: Attempt, nowMs: number): number {
    return this.inner.deliveredTokens(a, nowMs);
  }

  gauges(): LoadGauges | undefined {
    return this.inner.gauges();
  }

  /** Error rate first, then stream cut (only for outputs longer than the cut), as in force now. */
  outputCap(a: Attempt): number {
    const faults = this.inner.faults;
    if (faults.errorRate <= 0 && faults.streamCutProbability <= 0) return Number.POSITIVE_INFINITY;
    const rng = this.luck && a.luckSeed >= 0 ? this.luck.faults(a.luckSeed) : this.rng;
    if (faults.errorRate > 0 && rng() < faults.errorRate) {
      this.failing.add(a);
      return 0;
    }
    if (
      faults.streamCutProbability > 0 &&
      a.work.outputTokens > faults.streamCutAfter &&
      rng() < faults.streamCutProbability
    )
      return faults.streamCutAfter;
    return Number.POSITIVE_INFINITY;
  }

  private attemptDone(a: Attempt): void {
    // An attempt failed by the error rate that ran its course (not cancelled, not lost to a
    // capacity loss first) ends in a 5xx.
    if (this.failing.size > 0 && this.failing.delete(a) && (a.status === 'ok' || a.status === 'stream_cut'))
      a.status = 'server_error';
    this.sink.attemptDone(a);
  }
}

/** A provider's replicas behind its fault wrapper: outage and hang apply before a replica sees an attempt. */
class FaultyReplicas implements ReplicaSet {
  private readonly inner: ReplicaSet;
  private readonly faults: FaultyProvider;

  constructor(inner: ReplicaSet, faults: FaultyProvider) {
    this.inner = inner;
    this.faults = faults;
  }

  get count(): number {
    return this.inner.count;
  }

  idAt(position: number): number {
    return this.inner.idAt(position);
  }

  has(id: number): boolean {
    return this.inner.has(id);
  }

  submitTo(id: number, a: Attempt): void {
    if (this.faults.passes(a)) this.inner.submitTo(id, a);
  }

  gauges(id: number): ReplicaGauges {
    return this.inner.gauges(id);
  }
}
