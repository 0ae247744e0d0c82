import type { Scheduler } from '../../engine/clock.ts';
import type { Random } from '../../engine/rng.ts';
import type { Attempt } from '../attempt.ts';
import type { AttemptSink, Provider } from '../provider.ts';
import type { FaultState, OutputFaults } from './fault-state.ts';

export interface FaultyProviderOptions {
  /** Delay of an answer that takes no work (an outage's 503): the provider's network round trip. */
  answerMs?: number;
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
  readonly kvUsage?: () => number;
  readonly stats?: (nowMs: number) => Record<string, number | string>;
  private readonly scheduler: Scheduler;
  private readonly sink: AttemptSink;
  private readonly rng: Random;
  private readonly answerMs: number;
  /** Attempts held by a hang (never reported; a cancel forgets them). */
  private readonly hung = new Set<Attempt>();
  /** Attempts an error-rate draw failed, until the provider reports them. */
  private readonly failing = new Set<Attempt>();
  private readonly onAnswer = (a: Attempt) => this.sink.attemptDone(a);

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
    this.scheduler = scheduler;
    this.sink = sink;
    this.rng = faultRng;
    this.answerMs = options.answerMs ?? 0;
    const inner = build({ attemptDone: (a) => this.attemptDone(a) }, this);
    this.inner = inner;
    // Optional parts of the contract exist on the wrapper only if the provider has them.
    if (inner.kvUsage) this.kvUsage = () => inner.kvUsage!();
    if (inner.stats) this.stats = (nowMs) => inner.stats!(nowMs);
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

  submit(a: Attempt): void {
    if (this.passes(a)) this.inner.submit(a);
  }

  /**
   * Applies outage and hang to `a`; true if it goes on to the provider. For callers that hand
   * an attempt to the provider some other way (one replica of a GPU pool).
   */
  passes(a: Attempt): boolean {
    const faults = this.inner.faults;
    if (faults.outage) {
      a.status = 'server_error';
      a.endMs = this.scheduler.now() + this.answerMs;
      // Reported from a fresh event, so the gateway never re-enters itself from submit().
      this.scheduler.after(this.answerMs, this.onAnswer, a);
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

  /** Error rate first, then stream cut (only for outputs longer than the cut), as in force now. */
  outputCap(a: Attempt): number {
    const faults = this.inner.faults;
    if (faults.errorRate > 0 && this.rng() < faults.errorRate) {
      this.failing.add(a);
      return 0;
    }
    if (
      faults.streamCutProbability > 0 &&
      a.request.outputTokens > faults.streamCutAfter &&
      this.rng() < faults.streamCutProbability
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

/** The provider under a fault wrapper (or `provider` itself when it has none). */
export function unwrapFaults(provider: Provider): Provider {
  return provider instanceof FaultyProvider ? provider.inner : provider;
}
