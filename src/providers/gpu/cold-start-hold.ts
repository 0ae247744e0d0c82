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

export class ColdStartHold {
  private readonly scheduler: Scheduler;
  private readonly fast: FastAnswers;
  private readonly maxWaitMs: number;
  /** Waiting attempts in arrival order (a Set keeps insertion order and removes in O(1)). */
  private readonly waiting = new Set<Attempt>();

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
    this.waiting.add(a);
    this.scheduler.after(this.maxWaitMs, this.expire, a);
  }

  /** The caller left: a waiting attempt is cancelled (not reported, as a queued one). Whether it waited here. */
  cancel(a: Attempt): boolean {
    if (!this.waiting.delete(a)) return false;
    a.queuedAtProvider = false;
    a.status = 'cancelled';
    return true;
  }

  /** Hands every waiting attempt, oldest first, to `submit` (a replica is ready). */
  release(submit: (a: Attempt) => void): void {
    if (this.waiting.size === 0) return;
    const all = [...this.waiting];
    this.waiting.clear();
    for (const a of all) submit(a);
  }

  private readonly expire = (a: Attempt) => {
    if (!this.waiting.delete(a)) return; // released or cancelled before
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
