/**
 * Gateway: the pipeline every client try goes through.
 *
 *   receive -> admission (admit | enqueue -> queue -> admit later | reject = shed)
 *           -> routing (a target | reject = shed) -> attempt (with timeout)
 *           -> ok: try ends ok
 *           -> error: retry (budget, backoff, retry-after, fallback chain) or try ends in error
 *
 * The gateway only knows what a real one would (FG-5): attempt outcomes and its own counts. It
 * reports each try's end to the client, which decides about client retries and terminal states.
 */
import type { Scheduler } from '../engine/clock.ts';
import type { Random } from '../engine/rng.ts';
import { LogHistogram } from '../metrics/histogram.ts';
import type { Recorder } from '../metrics/recorder.ts';
import type { RejectionKind } from '../metrics/rejections.ts';
import { Attempt, type AttemptStatus } from '../providers/attempt.ts';
import type { AttemptSink } from '../providers/provider.ts';
import type { GatewayConfig, RetryableError } from '../scenario/schema.ts';
import { backoffDelay } from '../workload/backoff.ts';
import type { Outcome, Request } from '../workload/request.ts';
import { GatewayQueue } from './gateway-queue.ts';
import {
  type AdmissionPolicy,
  type AttemptOutcomeView,
  type GatewayView,
  type HealthPolicy,
  isRejection,
  type RoutingDecision,
  type RoutingPolicy,
  reject,
  type TargetView,
} from './policy.ts';
import { createRetryBudget, type RetryBudget } from './retry-budget.ts';
import type { TargetState } from './target.ts';

/** A health policy that failed closed left no target. */
const NO_TARGET: RoutingDecision = reject('no-healthy-target');

/** What a try ended with, as the client sees it. */
export type TryError = RetryableError | 'bad-request' | 'shed';

/** The client side of the gateway: told once per try how it ended. */
export interface TryListener {
  tryEnded(req: Request, outcome: Outcome, error: TryError | undefined): void;
}

export interface GatewayOptions {
  scheduler: Scheduler;
  config: GatewayConfig;
  targets: readonly TargetState[];
  /** Targets allowed per class index, in target order. */
  eligible: readonly (readonly TargetState[])[];
  admission: AdmissionPolicy;
  routing: RoutingPolicy;
  /** Optional: takes unhealthy targets out of rotation before routing. */
  health?: HealthPolicy | undefined;
  recorder: Recorder;
  retryRng: Random;
}

interface PendingRetry {
  req: Request;
  tryIndex: number;
}

export class Gateway implements AttemptSink, GatewayView {
  /** Tries admitted and not yet ended. */
  inFlight = 0;
  private readonly scheduler: Scheduler;
  private readonly config: GatewayConfig;
  private readonly targets: readonly TargetState[];
  private readonly targetsByName: ReadonlyMap<string, TargetState>;
  private readonly eligible: readonly (readonly TargetState[])[];
  private readonly admission: AdmissionPolicy;
  private readonly routing: RoutingPolicy;
  private readonly recorder: Recorder;
  private readonly retryRng: Random;
  private readonly queue: GatewayQueue;
  private readonly wantsOutcomes: boolean;
  private readonly health: HealthPolicy | undefined;
  /** Reused for every routing call (policies must not keep it). */
  private readonly routeContext: { attempt: number; previous: TargetView | undefined } = {
    attempt: 0,
    previous: undefined,
  };
  private readonly healthyScratch: TargetState[] = [];
  private readonly retryBudget: RetryBudget | undefined;
  /** Retries scheduled or in flight (for the percent budget). */
  private activeRetries = 0;
  private listener: TryListener | undefined;
  private draining = false;
  private readonly onAttemptTimeout = (a: Attempt) => this.attemptTimedOut(a);
  private readonly onHedge = (a: Attempt) => this.hedge(a);
  /** Latencies of successful attempts, when hedging follows a percentile of them. */
  private readonly hedgeDelays: LogHistogram | undefined;
  private readonly onRetry = (p: PendingRetry) => this.retryNow(p);
  private readonly onQueueExpiry = (req: Request) => this.queueExpired(req);

  constructor(o: GatewayOptions) {
    this.scheduler = o.scheduler;
    this.config = o.config;
    this.targets = o.targets;
    this.targetsByName = new Map(o.targets.map((t) => [t.name, t]));
    this.eligible = o.eligible;
    this.admission = o.admission;
    this.routing = o.routing;
    this.recorder = o.recorder;
    this.retryRng = o.retryRng;
    this.queue = new GatewayQueue(o.config.queue.order);
    this.health = o.health;
    this.retryBudget = o.config.retries.budget ? createRetryBudget(o.config.retries.budget) : undefined;
    this.hedgeDelays = o.config.hedging?.percentile !== undefined ? new LogHistogram(5) : undefined;
    this.wantsOutcomes = Boolean(o.routing.onOutcome || o.admission.onOutcome || o.health?.onOutcome);
  }

  setListener(listener: TryListener): void {
    this.listener = listener;
  }

  get queued(): number {
    return this.queue.size;
  }

  /** A client try arrives at the gateway. */
  receive(req: Request): void {
    const decision = this.admission.admit(req.view, this, 0);
    if (decision === 'admit') this.dispatch(req);
    else if (decision === 'enqueue') this.enqueue(req);
    else this.shed(req, 'admission', decision.reject);
  }

  /** The client gave up on the current try (timeout or abandonment): stop all work on it. */
  cancelTry(req: Request): void {
    if (req.queued) {
      this.queue.remove(req);
      req.gatewayWaitMs += this.scheduler.now() - req.queuedAtMs;
    }
    if (req.hedge) this.abandonAttempt(req.hedge, 'cancelled');
    if (req.attempt) this.abandonAttempt(req.attempt, 'cancelled');
    req.fallbackQueue = undefined;
    this.clearRetry(req);
    if (req.admitted) {
      this.release(req, 'cancelled');
      this.drainQueue();
    }
  }

  /** A provider finished an attempt (AttemptSink). */
  attemptDone(a: Attempt): void {
    // The request's running cost is the model's (sessions total it), not a metric's side effect.
    a.request.costUsd += a.costUsd;
    this.recorder.onAttemptDone(a);
    if (a.abandoned) return; // the gateway moved on already; provider-side accounting only
    const req = a.request;
    const target = this.targets[a.targetIndex]!;
    target.inFlight--;
    const other = this.clearSlot(req, a);
    this.clearRetry(req);
    this.retryBudget?.onAttempt(a.status === 'ok');
    if (a.status === 'ok') {
      target.successes++;
      target.lastTtftMs = a.firstTokenMs - a.startMs;
      this.hedgeDelays?.record((req.view.stream ? a.firstTokenMs : a.endMs) - a.startMs);
    } else {
      target.failures++;
      if (a.status === 'rate_limited') target.retryAfterUntilMs = a.endMs + a.retryAfterMs;
    }
    if (this.wantsOutcomes) this.tellOutcome(a, target);
    if (a.status === 'ok') {
      // A hedge race is won: the other attempt is cancelled.
      if (other) this.abandonAttempt(other, 'cancelled');
      req.okAttempt = a;
      this.endTry(req, 'ok', undefined);
    } else if (other) {
      // The other attempt of a hedged pair is still running: keep waiting for it.
      req.attempt = other;
    } else {
      this.failed(req, a, errorOf(a.status));
    }
  }

  /**
   * Frees the slot (primary or hedge) `a` held and returns the other attempt of a hedged pair
   * still in flight, if any.
   */
  private clearSlot(req: Request, a: Attempt): Attempt | undefined {
    if (req.attempt === a) {
      req.attempt = req.hedge;
      req.hedge = undefined;
    } else if (req.hedge === a) req.hedge = undefined;
    const other = req.attempt;
    if (other === a) return undefined;
    req.attempt = undefined;
    return other;
  }

  /**
   * The targets the health policy allows; all of them if it allows none (fail open), unless the
   * policy fails closed (then none, and the caller sheds).
   */
  private healthy(targets: readonly TargetState[]): readonly TargetState[] {
    const health = this.health;
    if (!health) return targets;
    const out = this.healthyScratch;
    out.length = 0;
    for (const t of targets) if (health.allows(t)) out.push(t);
    return out.length > 0 || health.failOpen === false ? out : targets;
  }

  /** Ends the try as shed, counting who refused it and why (the result's `rejections`). */
  private shed(req: Request, kind: RejectionKind, reason: unknown): void {
    this.recorder.onRejected(req, kind, reason);
    this.endTry(req, 'shed', 'shed');
  }

  private enqueue(req: Request): void {
    const q = this.config.queue;
    if (this.queue.size >= q.capacity) {
      this.shed(req, 'queue', 'queue-full');
      return;
    }
    const now = this.scheduler.now();
    req.queuedAtMs = now;
    this.queue.push(req);
    const expiry = Math.min(
      req.deadlineMs,
      q.maxWait !== undefined ? now + q.maxWait : Number.POSITIVE_INFINITY,
    );
    if (expiry < Number.POSITIVE_INFINITY) {
      req.queueExpiryMs = expiry;
      this.scheduler.at(Math.max(now, expiry), this.onQueueExpiry, req);
    }
  }

  private queueExpired(req: Request): void {
    if (!req.queued || this.scheduler.now() < req.queueExpiryMs) return;
    this.queue.remove(req);
    req.gatewayWaitMs += this.scheduler.now() - req.queuedAtMs;
    // The request's own deadline, or the queue's maxWait, whichever came first.
    this.shed(req, 'queue', req.queueExpiryMs === req.deadlineMs ? 'deadline' : 'max-wait');
  }

  private dispatch(req: Request): void {
    req.admitted = true;
    req.admittedAtMs = this.scheduler.now();
    this.inFlight++;
    this.recorder.onAdmitted(req);
    this.route(req);
  }

  private route(req: Request): void {
    let target: TargetState | undefined;
    // Fallbacks the class may not use (models, providers) are skipped.
    while (req.fallbackQueue && req.fallbackQueue.length > 0 && !target) {
      const next = this.targetsByName.get(req.fallbackQueue.shift()!);
      if (next && this.eligible[req.classIndex]!.includes(next)) target = next;
    }
    if (!target) {
      const context = this.routeContext;
      context.attempt = req.tryAttempts;
      context.previous = req.lastTargetIndex >= 0 ? this.targets[req.lastTargetIndex] : undefined;
      const healthy = this.healthy(this.eligible[req.classIndex]!);
      // Failed closed: no target to offer routing (user policies need not handle an empty list).
      const decision = healthy.length > 0 ? this.routing.route(req.view, healthy, context) : NO_TARGET;
      if (isRejection(decision)) {
        this.shed(req, 'routing', decision.reject);
        return;
      }
      target = decision as TargetState;
    }
    const a = this.startAttempt(req, target);
    req.attempt = a;
    const delay = this.hedgeDelay();
    if (delay !== undefined) this.scheduler.after(delay, this.onHedge, a);
  }

  private startAttempt(req: Request, target: TargetState): Attempt {
    const a = new Attempt(req, req.tries, target.index, this.scheduler.now(), target.providerIndex);
    a.inFlightAtStart = this.inFlight;
    req.tryAttempts++;
    req.lastTargetIndex = target.index;
    target.inFlight++;
    target.attempts++;
    this.recorder.onAttemptStarted(a);
    target.backend.submit(a);
    if (this.config.attemptTimeout !== undefined)
      this.scheduler.after(this.config.attemptTimeout, this.onAttemptTimeout, a);
    return a;
  }

  /**
   * When to hedge an attempt still waiting: a fixed delay, or a percentile of the latency (to the
   * first token when streaming) of recent successful attempts once enough are seen. Undefined:
   * no hedge.
   */
  private hedgeDelay(): number | undefined {
    const h = this.config.hedging;
    if (!h) return undefined;
    const samples = this.hedgeDelays;
    if (samples && samples.count >= h.minSamples)
      return Math.max(h.minDelay, samples.quantile(h.percentile! / 100));
    return h.after;
  }

  /**
   * Sends a backup attempt (Dean and Barroso, "The Tail at Scale") if the first is still waiting.
   * Only what the gateway has seen counts: an attempt not yet reported (it is still `req.attempt`)
   * and, when streaming, no token delivered yet. The provider's plan (`a.status`, set when service
   * starts) is not the gateway's to read (FG-5).
   */
  private hedge(a: Attempt): void {
    const req = a.request;
    const now = this.scheduler.now();
    const tokenSeen = req.view.stream && a.firstTokenMs <= now;
    if (req.attempt !== a || req.hedge || tokenSeen || !req.admitted) return;
    const context = this.routeContext;
    context.attempt = req.tryAttempts;
    context.previous = this.targets[a.targetIndex];
    const healthy = this.healthy(this.eligible[req.classIndex]!);
    const decision = healthy.length > 0 ? this.routing.route(req.view, healthy, context) : NO_TARGET;
    if (isRejection(decision)) {
      // No backup attempt: the first runs on. The reason is still counted.
      this.recorder.onRejected(req, 'routing', decision.reject);
      return;
    }
    this.recorder.onHedge(req);
    req.hedge = this.startAttempt(req, decision as TargetState);
  }

  private attemptTimedOut(a: Attempt): void {
    const req = a.request;
    if (req.attempt !== a && req.hedge !== a) return; // already answered or cancelled
    if (req.view.stream && a.firstTokenMs <= this.scheduler.now()) return; // streaming: the timeout covers the first token
    const other = req.attempt === a ? req.hedge : req.attempt;
    this.abandonAttempt(a, 'timeout');
    if (other) {
      // Its hedged twin runs on, as the only attempt.
      req.attempt = other;
      req.hedge = undefined;
    } else this.failed(req, a, 'timeout');
  }

  /** Stops waiting for `a`; the provider is told and may still report it later (metrics only). */
  private abandonAttempt(a: Attempt, status: 'timeout' | 'cancelled'): void {
    const target = this.targets[a.targetIndex]!;
    const req = a.request;
    a.abandoned = true;
    if (req.attempt === a) req.attempt = undefined;
    else if (req.hedge === a) req.hedge = undefined;
    this.clearRetry(req);
    if (status === 'timeout') this.retryBudget?.onAttempt(false);
    target.inFlight--;
    target.failures++;
    this.recorder.onAttemptAbandoned(a, status);
    target.backend.cancel(a);
    if (this.wantsOutcomes) this.tellOutcome(a, target, status);
  }

  private failed(req: Request, a: Attempt, error: TryError): void {
    const retries = this.config.retries;
    const retryable = error !== 'bad-request' && error !== 'shed' && retries.on.includes(error);
    const wantsRetry = retryable && req.tryAttempts <= retries.max;
    const budgetRefuses =
      wantsRetry &&
      this.retryBudget !== undefined &&
      !this.retryBudget.allows(this.inFlight, this.activeRetries);
    if (budgetRefuses) this.recorder.onRetryDenied(req);
    if (wantsRetry && !budgetRefuses) {
      const chain = this.config.fallbacks[this.targets[a.targetIndex]!.provider];
      if (chain && req.fallbackQueue === undefined) req.fallbackQueue = [...chain];
      let delay = backoffDelay(retries.backoff, req.tryAttempts, req.lastBackoffMs, this.retryRng);
      if (error === 'rate-limited' && retries.respectRetryAfter) delay = Math.max(delay, a.retryAfterMs);
      req.lastBackoffMs = delay;
      req.retrying = true;
      this.activeRetries++;
      this.recorder.onGatewayRetry(req);
      this.scheduler.after(delay, this.onRetry, { req, tryIndex: req.tries });
      return;
    }
    this.endTry(req, outcomeOf(error), error);
  }

  private retryNow(p: PendingRetry): void {
    const req = p.req;
    if (!req.tryActive || req.tries !== p.tryIndex || !req.admitted) return; // the try was cancelled meanwhile
    this.route(req);
  }

  /** A retry stops counting as in progress when its attempt ends or its try does. */
  private clearRetry(req: Request): void {
    if (!req.retrying) return;
    req.retrying = false;
    this.activeRetries--;
  }

  private endTry(req: Request, outcome: Outcome, error: TryError | undefined): void {
    req.fallbackQueue = undefined;
    this.clearRetry(req);
    if (req.admitted) this.release(req, outcome);
    this.listener!.tryEnded(req, outcome, error);
    this.drainQueue();
  }

  private release(req: Request, outcome: string): void {
    req.admitted = false;
    this.inFlight--;
    this.admission.onRelease?.(req.view, outcome, this.scheduler.now() - req.admittedAtMs);
  }

  /** Offers the head of the queue to admission until it says wait, or the queue is empty. */
  offerQueue(): void {
    this.drainQueue();
  }

  private drainQueue(): void {
    if (this.draining || this.queue.size === 0) return;
    this.draining = true;
    try {
      for (let head = this.queue.peek(); head; head = this.queue.peek()) {
        const decision = this.admission.admit(head.view, this, this.scheduler.now() - head.queuedAtMs);
        if (decision === 'enqueue') break;
        this.queue.take();
        head.gatewayWaitMs += this.scheduler.now() - head.queuedAtMs;
        if (decision === 'admit') this.dispatch(head);
        else this.shed(head, 'admission', decision.reject);
      }
    } finally {
      this.draining = false;
    }
  }

  private tellOutcome(a: Attempt, target: TargetState, status: AttemptStatus = a.status): void {
    const now = this.scheduler.now();
    const end = a.abandoned ? now : a.endMs;
    const outcome: AttemptOutcomeView = {
      request: a.request.view,
      target,
      status,
      startMs: a.startMs,
      endMs: end,
      ttftMs: a.firstTokenMs <= end ? a.firstTokenMs - a.startMs : Number.NaN,
      latencyMs: end - a.startMs,
      retryAfterMs: a.retryAfterMs,
      outputTokens: a.outputTokens,
      inFlightAtStart: a.inFlightAtStart,
    };
    this.routing.onOutcome?.(outcome);
    this.admission.onOutcome?.(outcome);
    this.health?.onOutcome?.(outcome);
  }
}

function errorOf(status: AttemptStatus): TryError {
  switch (status) {
    case 'rate_limited':
      return 'rate-limited';
    case 'bad_request':
      return 'bad-request';
    case 'stream_cut':
      return 'stream-cut';
    case 'timeout':
      return 'timeout';
    default:
      return 'server-error';
  }
}

/** The terminal outcome a try error maps to when nobody retries it. */
export function outcomeOf(error: TryError): Outcome {
  switch (error) {
    case 'rate-limited':
      return 'rate_limited';
    case 'timeout':
      return 'timed_out';
    case 'shed':
      return 'shed';
    default:
      return 'failed';
  }
}
