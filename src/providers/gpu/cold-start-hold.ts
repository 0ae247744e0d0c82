/**
 * ColdStartHold: requests that reach a pool with no ready replica (scaled to zero, or its first
 * replica still starting) wait in front of it, as KEDA's HTTP add-on interceptor holds them until
 * the workload has a replica (KEDA_CONDITION_WAIT_TIMEOUT, default 20 s). The first replica to
 * become ready takes them in arrival order; one still waiting after `maxWaitMs` fails with a 503.
 * A pool with `coldStart.requests: refuse` (or an HPA pool) has no hold: it answers a 503 at once.
 */
import type { Scheduler } from '../../engine/clock.ts';
import type { GpuProviderConfig } from '../../scenario/schema.ts';
import type { Attempt } from '../attempt.ts';
import type { FastAnswers } from '../fast-answer.ts';

/** KEDA HTTP add-on's interceptor default (interceptor/config/timeouts.go, KEDA_CONDITION_WAIT_TIMEOUT). */
export const DEFAULT_COLD_START_WAIT_MS = 20_000;

/** What an expiry timer holds: the attempt while it waits here, undefined once it left. */
interface HoldEntry {
  attempt: Attempt | undefined;
}

export class ColdStartHold {
  private readonly scheduler: Scheduler;
  private readonly fast: FastAnswers;
  private readonly maxWaitMs: number;
  /**
   * Waiting attempts in arrival order (a Map keeps insertion order and removes in O(1)), each with
   * the entry its expiry timer holds. An attempt that leaves the hold is taken out of its entry, so
   * the timer (left to fire, as it always has: the run's event count is part of its result) points
   * at nothing: the attempt may be reported, reused for a later call and even held again.
   */
  private readonly waiting = new Map<Attempt, HoldEntry>();

  constructor(scheduler: Scheduler, fast: FastAnswers, maxWaitMs: number) {
    this.scheduler = scheduler;
    this.fast = fast;
    this.maxWaitMs = maxWaitMs;
  }

  get size(): number {
    return this.waiting.size;
  }

  add(a: Attempt): void {
    a.queuedAtProvider = true;
    const entry: HoldEntry = { attempt: a };
    this.waiting.set(a, entry);
    this.scheduler.after(this.maxWaitMs, this.expire, entry);
  }

  /** The caller left: a waiting attempt is cancelled (not reported, as a queued one). Whether it waited here. */
  cancel(a: Attempt): boolean {
    const entry = this.waiting.get(a);
    if (entry === undefined) return false;
    this.waiting.delete(a);
    entry.attempt = undefined;
    a.queuedAtProvider = false;
    a.status = 'cancelled';
    return true;
  }

  /** Hands every waiting attempt, oldest first, to `submit` (a replica is ready). */
  release(submit: (a: Attempt) => void): void {
    if (this.waiting.size === 0) return;
    const all = [...this.waiting.keys()];
    for (const entry of this.waiting.values()) entry.attempt = undefined;
    this.waiting.clear();
    for (const a of all) submit(a);
  }

  private readonly expire = (entry: HoldEntry) => {
    const a = entry.attempt;
    if (a === undefined) return; // released or cancelled before
    entry.attempt = undefined;
    this.waiting.delete(a);
    a.queuedAtProvider = false;
    this.fast.after(0, a, 'server_error');
  };
}

/** The hold of a KEDA pool whose cold-start requests wait (the default); undefined otherwise. */
export function coldStartHoldFor(
  config: GpuProviderConfig,
  scheduler: Scheduler,
  fast: FastAnswers,
): ColdStartHold | undefined {
  const a = config.autoscaling;
  if (a?.kind !== 'keda' || a.coldStart?.requests === 'refuse') return undefined;
  return new ColdStartHold(scheduler, fast, a.coldStart?.maxWait ?? DEFAULT_COLD_START_WAIT_MS);
}
