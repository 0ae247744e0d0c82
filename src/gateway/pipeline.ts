/**
 * Gateway: the pipeline every client try goes through.
 *
 *   receive -> admission (admit | enqueue -> queue -> admit later | reject = shed)
 *           -> routing (a target | reject = shed) -> attempt (with timeout)
 *           -> ok: try ends ok
 *           -> error: retry (budget, backoff, retry-after, fallback chain) or try ends in error
 *
 * The gateway only knows what a real one would (FG-5): attempt outcomes once reported and its own
 * counts. It owns each request's `Ticket`, tells the ticket's listener (the client) how each try
 * ended, and reports what happens to its probe. Targets join and leave during the run.
 */
import type { Scheduler } from '../engine/clock.ts';
import type { TimerHandle } from '../engine/heap.ts';
import { LogHistogram } from '../engine/histogram.ts';
import type { Random } from '../engine/rng.ts';
import { FloodgateError } from '../errors.ts';
import { Attempt, type AttemptStatus, reuseAttempt } from '../providers/attempt.ts';
import { dialectOf } from '../providers/dialects.ts';
import type { AttemptSink, Provider } from '../providers/provider.ts';
import type { QualityModel } from '../providers/quality.ts';
import type { WorkItem, WorkItemPool } from '../providers/work-item.ts';
import type { GatewayConfig, RetryError } from '../scenario/schema.ts';

type RetryThenFallback = NonNullable<GatewayConfig['retryThenFallback']>;

import { quoted } from '../text/quote.ts';
import { backoffDelay } from './backoff.ts';
import { GatewayQueue } from './gateway-queue.ts';
import {
  type AdmissionPolicy,
  type HealthPolicy,
  isRejection,
  type JudgeCall,
  type KvCacheEventView,
  type RoutingDecision,
  type RoutingPolicy,
  reject,
  type TargetView,
} from './policy.ts';
import type { GatewayProbe, RejectionKind } from './probe.ts';
import { createRetryBudget, type RetryBudget } from './retry-budget.ts';
import { ModelGroup, servedModels, type TargetSpec, TargetState } from './target.ts';
import { Ticket } from './ticket.ts';
import { coversError, type TryError, type TryListener, type TryOutcome } from './try-listener.ts';
import { type ClassFacts, GatewayGauges, outcomeView, refillRequestView, requestView } from './views.ts';

export type { TryError, TryListener, TryOutcome } from './try-listener.ts';

/** A health policy that failed closed left no target. */
const NO_TARGET: RoutingDecision = reject('no-healthy-target');

/** A request class as the gateway knows it: its facts and which targets it may use. */
export interface GatewayClass extends ClassFacts {
  /** Providers the class may use (all when undefined). */
  readonly providers?: readonly string[] | undefined;
  /** Models the class may use (all when undefined). */
  readonly models?: readonly string[] | undefined;
}

export interface GatewayPolicies {
  routing: RoutingPolicy;
  admission: AdmissionPolicy;
  /** Optional: takes unhealthy targets out of rotation before routing. */
  health?: HealthPolicy | undefined;
  /** Policy names, for errors about what a policy returned. */
  names: { routing: string };
}

export interface GatewayOptions {
  scheduler: Scheduler;
  config: GatewayConfig;
  classes: readonly GatewayClass[];
  /**
   * Makes the policies; `offerQueue` asks the gateway to offer the head of its queue to admission
   * again (PolicyContext.offerQueue).
   */
  policies: (offerQueue: () => void) => GatewayPolicies;
  probe: GatewayProbe;
  retryRng: Random;
  /**
   * Quality (a scenario `quality` section): what a routing policy's judge reads of an answer
   * (whether it is acceptable). Without it, every ok answer is acceptable.
   */
  quality?: QualityModel | undefined;
  /** The judge's errors (stream `gateway/judge`); needed only when the routing policy has a judge. */
  judgeRng?: Random | undefined;
  /**
   * Reuse closed tickets and reported attempts for later requests (a record pool: fewer objects
   * per request). Only for a run whose probe and listeners keep no ticket or attempt after the
   * call that handed it to them (the recorder and the client keep none); off by default.
   */
  recycle?: boolean | undefined;
  /**
   * With `recycle`: where the work items of recycled tickets go back for later arrivals, when no
   * provider may still hold one of their attempts (the workload takes them).
   */
  workPool?: WorkItemPool | undefined;
  /**
   * With `recycle`: a recycled ticket's request view is rewritten for its next request rather
   * than built anew. Only when no policy keeps a view (or an outcome holding one) after the
   * request ended, as none of the built-in policies does; a user policy may, so never with one.
   */
  reuseViews?: boolean | undefined;
}

export class Gateway implements AttemptSink {
  /** The counts admission policies see (tries admitted and not ended, tickets queued). */
  readonly gauges = new GatewayGauges();
  private readonly scheduler: Scheduler;
  private readonly config: GatewayConfig;
  private readonly classes: readonly GatewayClass[];
  /** Every target that ever joined, by index; what each submits to, by the same index. */
  private readonly targets: TargetState[] = [];
  private readonly backends: Provider[] = [];
  private readonly targetsByName = new Map<string, TargetState>();
  /** Deployment groups by model: how many active targets serve each model. */
  private readonly groups = new Map<string, ModelGroup>();
  /** Active targets allowed per class index, in index order. */
  private readonly eligible: TargetState[][];
  private readonly admission: AdmissionPolicy;
  private readonly routing: RoutingPolicy;
  private readonly routingName: string;
  private readonly probe: GatewayProbe;
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
  /** gRPC A6 retry throttling (token-bucket) or Envoy's retry budget (percent). */
  private readonly retryBudget: RetryBudget | undefined;
  /** gRPC A6 hedging policy: attempts per try (A6 treats values above 5 as 5); 0 without it. */
  private readonly hedgeAttempts: number;
  /** Retries scheduled or in flight (for the percent budget). */
  private activeRetries = 0;
  private draining = false;
  private readonly onAttemptTimeout = (a: Attempt) => this.attemptTimedOut(a);
  private readonly onHedge = (t: Ticket) => this.hedge(t);
  /** Latencies of successful attempts, when hedging follows a percentile of them. */
  private readonly hedgeDelays: LogHistogram | undefined;
  private readonly onRetry = (t: Ticket) => this.retryNow(t);
  private readonly onQueueExpiry = (t: Ticket) => this.queueExpired(t);
  private readonly onClassified = (t: Ticket) => this.classified(t);
  private readonly onJudged = (t: Ticket) => this.judged(t);
  private readonly quality: QualityModel | undefined;
  private readonly judgeRng: Random | undefined;
  /** Record pools (GatewayOptions.recycle): closed tickets and reported attempts nothing refers to. */
  private readonly recycle: boolean;
  private readonly ticketPool: Ticket[] = [];
  private readonly attemptPool: Attempt[] = [];
  private readonly workPool: WorkItemPool | undefined;
  private readonly reuseViews: boolean;
  /** By target index: its provider forgets an attempt once it reported it (forgetsReported). */
  private readonly forgets: boolean[] = [];

  constructor(o: GatewayOptions) {
    this.scheduler = o.scheduler;
    this.config = o.config;
    this.classes = o.classes;
    this.eligible = o.classes.map(() => []);
    const policies = o.policies(() => this.drainQueue());
    this.admission = policies.admission;
    this.routing = policies.routing;
    this.routingName = policies.names.routing;
    this.health = policies.health;
    this.probe = o.probe;
    this.retryRng = o.retryRng;
    this.quality = o.quality;
    this.judgeRng = o.judgeRng;
    this.recycle = o.recycle === true;
    this.workPool = this.recycle ? o.workPool : undefined;
    this.reuseViews = this.recycle && o.reuseViews === true;
    this.queue = new GatewayQueue(o.config.queue.order);
    this.retryBudget = o.config.retries.budget ? createRetryBudget(o.config.retries.budget) : undefined;
    this.hedgeDelays = o.config.hedging?.percentile !== undefined ? new LogHistogram(5) : undefined;
    const maxAttempts = o.config.hedging?.maxAttempts;
    this.hedgeAttempts = maxAttempts === undefined ? 0 : Math.min(A6_MAX_ATTEMPTS, maxAttempts);
    this.wantsOutcomes = Boolean(
      this.routing.onOutcome || this.admission.onOutcome || this.health?.onOutcome,
    );
  }

  /** Whether routing listens to targets' KV-cache events (the simulator subscribes only then). */
  get wantsKvEvents(): boolean {
    return this.routing.onKvEvent !== undefined;
  }

  /** Target `target`'s KV cache changed: routing hears of it, as plain data. */
  kvCacheEvent(target: number, kind: KvCacheEventView['kind'], keys: readonly number[]): void {
    this.routing.onKvEvent?.({
      target,
      kind,
      keys: Object.freeze(Array.from(keys)),
      atMs: this.scheduler.now(),
    });
  }

  /** Tries admitted and not yet ended. */
  get inFlight(): number {
    return this.gauges.inFlight;
  }

  get queued(): number {
    return this.gauges.queued;
  }

  /**
   * A target joins: from now on routing may offer it to the classes allowed to use it. Its index
   * is new (never one a departed target had), so policies may key state on it.
   */
  addTarget(spec: TargetSpec, backend: Provider): TargetState {
    if (this.targetsByName.get(spec.name)?.active) {
      throw new Error(`target ${spec.name} joined twice`);
    }
    const models = servedModels(spec);
    for (const model of models) this.groupOf(model).size++;
    const target = new TargetState(this.targets.length, spec, this.groupOf(models[0]!));
    this.targets.push(target);
    this.backends.push(backend);
    this.forgets.push(backend.forgetsReported === true);
    this.targetsByName.set(spec.name, target);
    this.classes.forEach((c, i) => {
      const allowed =
        (!c.providers || c.providers.includes(target.provider)) &&
        (!c.models || target.models.some((m) => c.models!.includes(m)));
      if (allowed) this.eligible[i]!.push(target);
    });
    return target;
  }

  /**
   * A target leaves: routing no longer offers it and fallback chains skip it. Attempts in flight
   * to it still report (work in progress finishes, as a draining replica's does).
   */
  removeTarget(index: number): void {
    const target = this.targets[index];
    if (!target?.active) return;
    target.active = false;
    for (const model of servedModels(target)) this.groupOf(model).size--;
    for (const list of this.eligible) {
      const at = list.indexOf(target);
      if (at >= 0) list.splice(at, 1);
    }
  }

  private groupOf(model: string): ModelGroup {
    let group = this.groups.get(model);
    if (!group) {
      group = new ModelGroup(model);
      this.groups.set(model, group);
    }
    return group;
  }

  /** Targets that have joined and not left, in index order. */
  activeTargets(): readonly TargetState[] {
    return this.targets.filter((t) => t.active);
  }

  /**
   * Opens the gateway's ticket for a request that arrived; `listener` is told how each of its
   * tries ends, with `owner`.
   */
  open<O>(work: WorkItem, owner: O, listener: TryListener<O>): Ticket<O> {
    const c = this.classes[work.classIndex]!;
    const pooled = this.ticketPool.pop() as Ticket<O> | undefined;
    if (pooled === undefined) return new Ticket(work, requestView(work, c), owner, listener);
    const view = this.reuseViews ? refillRequestView(pooled.view, work, c) : requestView(work, c);
    pooled.reopen(work, view, owner, listener);
    return pooled;
  }

  /**
   * The ticket's owner is done with it (its request ended, after everyone was told): with
   * `recycle`, its answer's attempt and then the ticket go back to their pools, the ticket once
   * no attempt of it is left unreported, no timer of its is pending and no queue may hold it.
   */
  close(t: Ticket): void {
    t.closed = true;
    if (!this.recycle) return;
    const ok = t.okAttempt;
    if (ok !== undefined) {
      t.okAttempt = undefined;
      this.recycleAttempt(ok);
    }
    this.recycleTicket(t);
  }

  private recycleTicket(t: Ticket): void {
    if (
      t.outstanding === 0 &&
      !t.everQueued &&
      t.hedgeTimer < 0 &&
      t.retryTimer < 0 &&
      t.routerTimer < 0 &&
      t.heldAttempt === undefined
    ) {
      this.ticketPool.push(t);
      if (!t.workKept) this.workPool?.give(t.work);
    }
  }

  /** `a` was reported and nothing refers to it any more: reuse it if its provider forgets it too. */
  private recycleAttempt(a: Attempt): void {
    if (this.recycle && this.forgets[a.targetIndex]!) this.attemptPool.push(a);
  }

  /** Client try `tryIndex` of the ticket's request arrives at the gateway. */
  receive(t: Ticket, tryIndex: number): void {
    t.tryIndex = tryIndex;
    t.serving = true;
    t.tryAttempts = 0;
    t.backoffFrom = 0;
    t.roundAttempts = 0;
    t.hedgingStopped = false;
    t.lastError = undefined;
    t.lastTargetIndex = -1;
    t.pinnedTargetIndex = -1;
    t.targetFrom = 0;
    t.heldAttempt = undefined;
    const decision = this.admission.admit(t.view, this.gauges, 0);
    if (decision === 'admit') this.dispatch(t);
    else if (decision === 'enqueue') this.enqueue(t);
    else this.shed(t, 'admission', decision.reject);
  }

  /** The client gave up on the current try (timeout or abandonment): stop all work on it. */
  cancelTry(t: Ticket): void {
    t.serving = false;
    if (t.queued) {
      this.queue.remove(t);
      this.gauges.queued = this.queue.size;
      this.cancelTimer(t.queueTimer);
      t.gatewayWaitMs += this.scheduler.now() - t.queuedAtMs;
    }
    // Newest first: the hedges, then the attempt they raced.
    for (let a = t.attempts.at(-1); a; a = t.attempts.at(-1)) this.abandonAttempt(a, 'cancelled');
    this.cancelHedge(t);
    this.cancelRouterCall(t);
    t.fallbackQueue = undefined;
    this.clearRetry(t);
    if (t.admitted) {
      this.release(t, 'cancelled');
      this.drainQueue();
    }
  }

  /**
   * The client went away because its user moved on (a newer keystroke): whatever the gateway's
   * attempts for the request still do is waste. The client cancels a try in progress apart.
   */
  supersede(t: Ticket): void {
    t.superseded = true;
  }

  /** A provider finished an attempt (AttemptSink). */
  attemptDone(a: Attempt): void {
    // Every attempt a provider reports was made by startAttempt, with its ticket as owner.
    const t = a.owner as Ticket;
    t.outstanding--;
    t.costUsd += a.costUsd;
    this.probe.attemptDone(a, t.superseded);
    if (a.abandoned) {
      // The gateway moved on already; provider-side accounting only.
      this.recycleAttempt(a);
      if (t.closed && t.outstanding === 0 && this.recycle) this.recycleTicket(t);
      return;
    }
    this.cancelTimer(a.timeoutTimer);
    const target = this.targets[a.targetIndex]!;
    target.inFlight--;
    this.leave(t, a);
    this.clearRetry(t);
    const ok = a.status === 'ok';
    const error = ok ? undefined : errorOf(a);
    if (ok) {
      this.retryBudget?.onSuccess();
      target.successes++;
      target.lastTtftMs = a.firstTokenMs - a.startMs;
      this.hedgeDelays?.record((t.work.stream ? a.firstTokenMs : a.endMs) - a.startMs);
    } else {
      // A6 also counts a pushback saying not to retry, whatever the error.
      if (this.qualifies(error!) || this.pushbackMs(a, error!) < 0) this.retryBudget?.onFailure();
      target.failures++;
      // A quota refusal told apart (OpenAI's) carries no retry-after.
      if (error === 'rate-limited') target.retryAfterUntilMs = a.endMs + a.retryAfterMs;
    }
    if (this.wantsOutcomes) this.tellOutcome(a, target, a.status, a.outputTokens);
    if (ok) {
      // A hedge race is won: the other attempts are cancelled.
      this.cancelHedge(t);
      for (let other = t.attempts[0]; other; other = t.attempts[0]) this.abandonAttempt(other, 'cancelled');
      const judge = this.routing.judge?.(
        outcomeView(a, t.view, target, 'ok', this.scheduler.now(), a.outputTokens),
      );
      if (judge) {
        this.startJudge(t, a, judge);
        return;
      }
      t.okAttempt = a;
      this.endTry(t, 'ok', undefined);
      return;
    }
    if (this.hedgeAttempts > 0) {
      this.hedgedAttemptFailed(t, a, error!);
    } else if (t.attempts.length === 0) {
      this.failed(t, a, error!);
    }
    // else the other attempt of a hedged pair is still running: keep waiting for it.
    // A failed attempt was read above and is kept by nobody (the ticket may be closed by now).
    this.recycleAttempt(a);
  }

  /**
   * `a` no longer runs for its try. Without an A6 hedging policy, hedging waits on the attempt
   * routed: once it has left, no backup is sent.
   */
  private leave(t: Ticket, a: Attempt): void {
    const attempts = t.attempts;
    // Usually the only (last) one: pop, which allocates nothing, where splice returns an array
    // (and a search of a one-attempt list is a call for nothing).
    let at = attempts.length - 1;
    if (at >= 0 && attempts[at] === a) attempts.pop();
    else {
      at = attempts.indexOf(a);
      if (at < 0) return;
      attempts.splice(at, 1);
    }
    if (at === 0 && this.hedgeAttempts === 0) this.cancelHedge(t);
  }

  /**
   * gRPC A6: does a failure with `error` take a retry token? Only one the policy would retry
   * (`retries.on`, with retries on at all), or under A6 hedging one of its `nonFatal` errors.
   * A failure nobody would retry (a 400, an error left out of `on`) takes none.
   */
  private qualifies(error: TryError): boolean {
    if (this.hedgeAttempts > 0) return includesError(this.config.hedging!.nonFatal, error);
    const retries = this.config.retries;
    return retries.max > 0 && includesError(retries.on, error);
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

  /**
   * Asks routing for a target among the class's healthy ones and checks the answer: a rejection,
   * or one of the targets it was offered (by index; anything else is a bug in the policy).
   */
  private pick(t: Ticket, previous: TargetState | undefined): TargetState | { reject: string } {
    const offered = this.healthy(this.eligible[t.work.classIndex]!);
    // Failed closed: no target to offer routing (user policies need not handle an empty list).
    if (offered.length === 0) return NO_TARGET as { reject: string };
    const context = this.routeContext;
    context.attempt = t.tryAttempts;
    context.previous = previous;
    const decision = this.routing.route(t.view, offered, context);
    // The usual answer, one of the targets offered (a target is `this.targets[its index]`).
    if (decision instanceof TargetState && holds(offered, decision)) return decision;
    if (isRejection(decision)) return decision;
    const index = (decision as TargetView | undefined)?.index;
    const target = typeof index === 'number' ? this.targets[index] : undefined;
    if (target && holds(offered, target)) return target;
    throw new FloodgateError(
      'FG_POLICY_INVALID',
      `routing policy ${quoted(this.routingName)} returned ${describeDecision(decision)} for a request of class ` +
        `${quoted(t.view.className)}, which is not one of the ${offered.length} targets it was offered`,
      'return one of the targets passed to route(), or reject(reason)',
    );
  }

  /** Ends the try as shed, counting who refused it and why (the result's `rejections`). */
  private shed(t: Ticket, kind: RejectionKind, reason: unknown): void {
    this.probe.rejected(t.work, kind, reason);
    this.endTry(t, 'shed', 'shed');
  }

  private enqueue(t: Ticket): void {
    const q = this.config.queue;
    if (this.queue.size >= q.capacity) {
      this.shed(t, 'queue', 'queue-full');
      return;
    }
    const now = this.scheduler.now();
    t.queuedAtMs = now;
    t.everQueued = true;
    this.queue.push(t);
    this.gauges.queued = this.queue.size;
    const expiry = Math.min(
      t.work.deadlineMs,
      q.maxWait !== undefined ? now + q.maxWait : Number.POSITIVE_INFINITY,
    );
    if (expiry < Number.POSITIVE_INFINITY) {
      t.queueExpiryMs = expiry;
      t.queueTimer = this.scheduler.at(Math.max(now, expiry), this.onQueueExpiry, t);
    }
  }

  private queueExpired(t: Ticket): void {
    t.queueTimer = -1;
    if (!t.queued || this.scheduler.now() < t.queueExpiryMs) return;
    this.queue.remove(t);
    this.gauges.queued = this.queue.size;
    t.gatewayWaitMs += this.scheduler.now() - t.queuedAtMs;
    // The request's own deadline, or the queue's maxWait, whichever came first.
    this.shed(t, 'queue', t.queueExpiryMs === t.work.deadlineMs ? 'deadline' : 'max-wait');
  }

  private dispatch(t: Ticket): void {
    t.admitted = true;
    t.admittedAtMs = this.scheduler.now();
    this.gauges.inFlight++;
    this.probe.admitted(t.work);
    const classifier = this.routing.classifier;
    if (!classifier || t.classified) {
      this.route(t);
      return;
    }
    // The routing policy's classifier runs once per request, before its first decision.
    t.classified = true;
    t.costUsd += classifier.costUsd;
    this.probe.routerCall?.(t.work, 'classifier', classifier.costUsd);
    if (classifier.latencyMs > 0)
      t.routerTimer = this.scheduler.after(classifier.latencyMs, this.onClassified, t);
    else this.route(t);
  }

  private classified(t: Ticket): void {
    t.routerTimer = -1;
    this.route(t);
  }

  /**
   * The routing policy's judge reads ok answer `a` (FrugalGPT's scorer): the answer is held until
   * it decides. Its verdict is drawn now, from what the answer is (acceptable or not, known once
   * the provider reported it) and the judge's error rates.
   */
  private startJudge(t: Ticket, a: Attempt, judge: JudgeCall): void {
    t.costUsd += judge.costUsd;
    this.probe.routerCall?.(t.work, 'judge', judge.costUsd);
    const acceptable = this.quality ? this.quality.acceptable(t.work, a.providerIndex) : true;
    const u = this.judgeRng ? this.judgeRng() : 1;
    t.judgeAccepts = acceptable ? !(u < judge.falseReject) : u < judge.falseAccept;
    t.heldAttempt = a;
    if (judge.latencyMs > 0) t.routerTimer = this.scheduler.after(judge.latencyMs, this.onJudged, t);
    else this.judged(t);
  }

  /** The judge decided: release the held answer, or escalate (routing again, with `previous` its target). */
  private judged(t: Ticket): void {
    t.routerTimer = -1;
    const a = t.heldAttempt!;
    t.heldAttempt = undefined;
    if (t.judgeAccepts) {
      t.okAttempt = a;
      t.releaseMs = this.scheduler.now();
      this.endTry(t, 'ok', undefined);
      return;
    }
    this.recycleAttempt(a);
    this.probe.escalated?.(t.work);
    this.route(t);
  }

  private cancelRouterCall(t: Ticket): void {
    this.cancelTimer(t.routerTimer);
    t.routerTimer = -1;
    const held = t.heldAttempt;
    t.heldAttempt = undefined;
    if (held !== undefined) this.recycleAttempt(held);
  }

  private route(t: Ticket): void {
    let target: TargetState | undefined;
    const pinned = t.pinnedTargetIndex >= 0 ? this.targets[t.pinnedTargetIndex] : undefined;
    t.pinnedTargetIndex = -1;
    if (pinned && this.eligible[t.work.classIndex]!.includes(pinned)) target = pinned;
    // Fallbacks the class may not use (models, providers) or that left are skipped.
    while (!target && t.fallbackQueue && t.fallbackQueue.length > 0) {
      const next = this.targetsByName.get(t.fallbackQueue.shift()!);
      if (next && this.mayFallBackTo(t, next)) target = next;
    }
    if (!target) {
      const picked = this.pick(t, t.lastTargetIndex >= 0 ? this.targets[t.lastTargetIndex] : undefined);
      if (!(picked instanceof TargetState)) {
        this.shed(t, 'routing', picked.reject);
        return;
      }
      target = picked;
    }
    t.attempts.push(this.startAttempt(t, target));
    t.roundAttempts = 1;
    this.scheduleHedge(t);
  }

  /** The next hedge is due after the hedging delay (if there is one yet). */
  private scheduleHedge(t: Ticket): void {
    const delay = this.hedgeDelay();
    if (delay !== undefined) t.hedgeTimer = this.scheduler.after(delay, this.onHedge, t);
  }

  private startAttempt(t: Ticket, target: TargetState): Attempt {
    const now = this.scheduler.now();
    const pooled = this.attemptPool.pop();
    const a =
      pooled === undefined
        ? new Attempt(t.work, t, t.tryIndex, target.index, now, target.providerIndex)
        : reuseAttempt(pooled, t.work, t, t.tryIndex, target.index, now, target.providerIndex);
    t.outstanding++;
    if (!this.forgets[target.index]!) t.workKept = true;
    a.inFlightAtStart = this.gauges.inFlight;
    t.tryAttempts++;
    t.lastTargetIndex = target.index;
    target.inFlight++;
    target.attempts++;
    this.probe.attemptStarted(a);
    this.backends[target.index]!.submit(a);
    if (this.config.attemptTimeout !== undefined)
      a.timeoutTimer = this.scheduler.after(this.config.attemptTimeout, this.onAttemptTimeout, a);
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
    // A6 hedging without a delay sends all its attempts at once.
    return h.after ?? (h.percentile === undefined ? 0 : undefined);
  }

  /** Has a token of attempt `a` (not yet reported) reached the gateway by now? Its provider says. */
  private tokenSeen(a: Attempt): boolean {
    return this.backends[a.targetIndex]!.deliveredTokens(a, this.scheduler.now()) > 0;
  }

  /**
   * Sends a backup attempt (Dean and Barroso, "The Tail at Scale") if the first is still waiting.
   * Only what the gateway has seen counts: an attempt not yet reported (it is still `t.attempt`)
   * and, when streaming, no token delivered yet. The provider's plan for it is not the gateway's
   * to read (FG-5).
   */
  private hedge(t: Ticket): void {
    t.hedgeTimer = -1;
    if (this.hedgeAttempts > 0) {
      this.nextHedge(t);
      return;
    }
    const a = t.attempts[0];
    if (!a || t.attempts.length > 1 || !t.admitted || (t.work.stream && this.tokenSeen(a))) return;
    this.sendHedge(t, a);
  }

  /**
   * Sends a hedge racing `previous` unless the retry budget (A6: hedges go out only while the
   * token count is above its threshold) or routing refuses; says whether it went out.
   */
  private sendHedge(t: Ticket, previous: Attempt | undefined): boolean {
    if (this.retryBudget && !this.retryBudget.allowsHedge()) {
      t.hedgingStopped = true;
      this.probe.retryDenied(t.work);
      return false;
    }
    const from = previous ? previous.targetIndex : t.lastTargetIndex;
    const picked = this.pick(t, from >= 0 ? this.targets[from] : undefined);
    if (!(picked instanceof TargetState)) {
      // No backup attempt: the others run on. The reason is still counted.
      this.probe.rejected(t.work, 'routing', picked.reject);
      return false;
    }
    this.probe.hedged(t.work);
    t.attempts.push(this.startAttempt(t, picked));
    t.roundAttempts++;
    return true;
  }

  /**
   * gRPC A6 hedging: the next hedge is due (its delay elapsed, or an attempt failed with a
   * non-fatal error). It goes out while attempts remain, the try is admitted, hedging was not
   * stopped and, when streaming, no attempt has a token yet; the one after it is scheduled. With
   * nothing in flight and no hedge sent, the try ends with the last error.
   */
  private nextHedge(t: Ticket): void {
    const previous = t.attempts.at(-1);
    const committed = t.work.stream && t.attempts.some((a) => this.tokenSeen(a));
    const may = t.admitted && !t.hedgingStopped && !committed && t.roundAttempts < this.hedgeAttempts;
    if (may && this.sendHedge(t, previous)) {
      if (t.roundAttempts < this.hedgeAttempts) this.scheduleHedge(t);
    } else if (t.attempts.length === 0 && t.serving) {
      this.endTry(t, outcomeOf(t.lastError!), t.lastError);
    }
  }

  /**
   * gRPC A6 hedging: attempt `a` failed. A fatal error cancels the others and ends the try; a
   * non-fatal one sends the next hedge at once (or when the pushback says), or, with none left,
   * waits for the attempts still in flight. No gateway retry follows.
   */
  private hedgedAttemptFailed(t: Ticket, a: Attempt, error: TryError): void {
    t.lastError = error;
    const pushbackMs = this.pushbackMs(a, error);
    if (pushbackMs < 0) t.hedgingStopped = true; // A6: a pushback saying not to retry stops hedging
    if (!includesError(this.config.hedging!.nonFatal, error)) {
      this.cancelHedge(t);
      for (let other = t.attempts[0]; other; other = t.attempts[0]) this.abandonAttempt(other, 'cancelled');
      this.endTry(t, outcomeOf(error), error);
      return;
    }
    const more = !t.hedgingStopped && t.roundAttempts < this.hedgeAttempts;
    if (more && pushbackMs > 0) {
      this.cancelHedge(t);
      t.hedgeTimer = this.scheduler.after(pushbackMs, this.onHedge, t);
    } else if (more) {
      this.cancelHedge(t);
      this.nextHedge(t);
    } else if (t.attempts.length === 0) {
      this.cancelHedge(t);
      this.endTry(t, outcomeOf(error), error);
    }
  }

  /**
   * gRPC A6 server pushback (`retries.pushback`): the provider's retry-after on a 429 stands for
   * `grpc-retry-pushback-ms` (the only pushback a simulated provider sends), and a 429 that can
   * never pass, or a quota refusal, for a negative one ("do not retry"). 0: none; -1: do not retry.
   */
  private pushbackMs(a: Attempt, error: TryError): number {
    if (!this.config.retries.pushback) return 0;
    if (error === 'quota') return -1;
    if (error !== 'rate-limited') return 0;
    return a.neverPasses ? -1 : a.retryAfterMs;
  }

  private attemptTimedOut(a: Attempt): void {
    a.timeoutTimer = -1;
    const t = a.owner as Ticket;
    if (!t.attempts.includes(a)) return; // already answered or cancelled
    if (t.work.stream && this.tokenSeen(a)) return; // streaming: the timeout covers the first token
    if (this.qualifies('timeout')) this.retryBudget?.onFailure();
    this.abandonAttempt(a, 'timeout');
    if (this.hedgeAttempts > 0) this.hedgedAttemptFailed(t, a, 'timeout');
    else if (t.attempts.length === 0) this.failed(t, a, 'timeout');
    // else its hedged twin runs on, as the only attempt.
  }

  /** Stops waiting for `a`; the provider is told and may still report it later (metrics only). */
  private abandonAttempt(a: Attempt, status: 'timeout' | 'cancelled'): void {
    const target = this.targets[a.targetIndex]!;
    const t = a.owner as Ticket;
    a.abandoned = true;
    this.cancelTimer(a.timeoutTimer);
    this.leave(t, a);
    this.clearRetry(t);
    target.inFlight--;
    target.failures++;
    this.probe.attemptAbandoned(a, status);
    const backend = this.backends[a.targetIndex]!;
    // What had reached the gateway when it stopped waiting (asked before the provider is told).
    const delivered = this.wantsOutcomes ? backend.deliveredTokens(a, this.scheduler.now()) : 0;
    backend.cancel(a);
    if (this.wantsOutcomes) this.tellOutcome(a, target, status, delivered);
  }

  private failed(t: Ticket, a: Attempt, error: TryError): void {
    if (this.config.retryThenFallback) {
      this.failedInOrder(t, a, error, this.config.retryThenFallback);
      return;
    }
    const retries = this.config.retries;
    const retryable = includesError(retries.on, error);
    const pushbackMs = this.pushbackMs(a, error);
    const wantsRetry = retryable && t.tryAttempts <= retries.max && pushbackMs >= 0;
    const budgetRefuses =
      wantsRetry &&
      this.retryBudget !== undefined &&
      !this.retryBudget.allows(this.gauges.inFlight, this.activeRetries);
    if (budgetRefuses) this.probe.retryDenied(t.work);
    if (wantsRetry && !budgetRefuses) {
      const chain = this.config.fallbacks[this.targets[a.targetIndex]!.provider];
      if (chain && t.fallbackQueue === undefined) t.fallbackQueue = [...chain];
      let delay: number;
      if (pushbackMs > 0) {
        // A6: exactly the pushback; the backoff of later retries starts again from its base.
        delay = pushbackMs;
        t.backoffFrom = t.tryAttempts;
      } else {
        const retry = t.tryAttempts - t.backoffFrom;
        delay = backoffDelay(retries.backoff, retry, t.lastBackoffMs, this.retryRng);
        if (error === 'rate-limited' && retries.respectRetryAfter) delay = Math.max(delay, a.retryAfterMs);
      }
      t.lastBackoffMs = delay;
      t.retrying = true;
      this.activeRetries++;
      this.probe.gatewayRetried(t.work);
      t.retryTimer = this.scheduler.after(delay, this.onRetry, t);
      return;
    }
    this.endTry(t, outcomeOf(error), error);
  }

  /**
   * Portkey's order (`gateway.retryThenFallback`): retry the same target while it has retries
   * left and the error is in `retries.on` (backoff from its base on each target), then move at once
   * to the next provider of the chain when the error is in `fallbackOn`; else the try ends.
   */
  private failedInOrder(t: Ticket, a: Attempt, error: TryError, order: RetryThenFallback): void {
    const retries = this.config.retries;
    const target = this.targets[a.targetIndex]!;
    const allowed = order.perProvider[target.provider] ?? order.retries;
    const retriesHere = t.tryAttempts - t.targetFrom - 1;
    const sameTarget = includesError(retries.on, error) && retriesHere < allowed && target.active;
    if (!sameTarget) {
      const chain = this.config.fallbacks[target.provider];
      if (chain && t.fallbackQueue === undefined) t.fallbackQueue = [...chain];
    }
    const next = sameTarget || (coversError(order.fallbackOn, error) && this.nextFallback(t) !== undefined);
    const wantsRetry = next && t.tryAttempts <= retries.max;
    const budgetRefuses =
      wantsRetry &&
      this.retryBudget !== undefined &&
      !this.retryBudget.allows(this.gauges.inFlight, this.activeRetries);
    if (budgetRefuses) this.probe.retryDenied(t.work);
    if (!wantsRetry || budgetRefuses) {
      this.endTry(t, outcomeOf(error), error);
      return;
    }
    let delay = 0;
    if (sameTarget) {
      t.pinnedTargetIndex = target.index;
      delay = backoffDelay(retries.backoff, retriesHere + 1, t.lastBackoffMs, this.retryRng);
      if (error === 'rate-limited' && retries.respectRetryAfter) delay = Math.max(delay, a.retryAfterMs);
    } else {
      t.targetFrom = t.tryAttempts;
    }
    t.lastBackoffMs = delay;
    t.retrying = true;
    this.activeRetries++;
    this.probe.gatewayRetried(t.work);
    t.retryTimer = this.scheduler.after(delay, this.onRetry, t);
  }

  /**
   * May the ticket's class use `target` as a fallback? One it may route to; with
   * `fallbacksChangeModel`, any active target its `providers` restriction allows.
   */
  private mayFallBackTo(t: Ticket, target: TargetState): boolean {
    if (!this.config.fallbacksChangeModel) return this.eligible[t.work.classIndex]!.includes(target);
    const providers = this.classes[t.work.classIndex]!.providers;
    return target.active && (!providers || providers.includes(target.provider));
  }

  /** The next provider of the ticket's fallback chain the class may use (dropping those it may not). */
  private nextFallback(t: Ticket): TargetState | undefined {
    const queue = t.fallbackQueue;
    while (queue && queue.length > 0) {
      const next = this.targetsByName.get(queue[0]!);
      if (next && this.mayFallBackTo(t, next)) return next;
      queue.shift();
    }
    return undefined;
  }

  /** A scheduled retry is due: its try is still on (a try that ends cancels its retry). */
  private retryNow(t: Ticket): void {
    t.retryTimer = -1;
    this.route(t);
  }

  /**
   * A retry stops counting as in progress when its attempt ends or its try does (then a retry
   * still scheduled is cancelled).
   */
  private clearRetry(t: Ticket): void {
    if (!t.retrying) return;
    t.retrying = false;
    this.activeRetries--;
    this.cancelTimer(t.retryTimer);
    t.retryTimer = -1;
  }

  private cancelHedge(t: Ticket): void {
    this.cancelTimer(t.hedgeTimer);
    t.hedgeTimer = -1;
  }

  private cancelTimer(handle: TimerHandle): void {
    if (handle >= 0) this.scheduler.cancel(handle);
  }

  private endTry(t: Ticket, outcome: TryOutcome, error: TryError | undefined): void {
    t.fallbackQueue = undefined;
    this.cancelHedge(t);
    t.serving = false;
    this.clearRetry(t);
    if (t.admitted) this.release(t, outcome);
    t.listener.tryEnded(t.owner, outcome, error);
    this.drainQueue();
  }

  private release(t: Ticket, outcome: string): void {
    t.admitted = false;
    this.gauges.inFlight--;
    this.admission.onRelease?.(t.view, outcome, this.scheduler.now() - t.admittedAtMs);
  }

  /** Offers the head of the queue to admission until it says wait, or the queue is empty. */
  private drainQueue(): void {
    if (this.draining || this.queue.size === 0) return;
    this.draining = true;
    try {
      for (let head = this.queue.peek(); head; head = this.queue.peek()) {
        const decision = this.admission.admit(head.view, this.gauges, this.scheduler.now() - head.queuedAtMs);
        if (decision === 'enqueue') break;
        this.queue.take();
        this.gauges.queued = this.queue.size;
        head.gatewayWaitMs += this.scheduler.now() - head.queuedAtMs;
        if (decision === 'admit') this.dispatch(head);
        else this.shed(head, 'admission', decision.reject);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Tells the policies what the gateway learned of `a`; `delivered`: the tokens that reached it. */
  private tellOutcome(a: Attempt, target: TargetState, status: AttemptStatus, delivered: number): void {
    const t = a.owner as Ticket;
    const outcome = outcomeView(a, t.view, target, status, this.scheduler.now(), delivered);
    this.routing.onOutcome?.(outcome);
    this.admission.onOutcome?.(outcome);
    this.health?.onOutcome?.(outcome);
  }
}

/** A routing decision that is not an offered target, for the error message. */
function describeDecision(decision: unknown): string {
  if (decision === undefined || decision === null) return String(decision);
  if (typeof decision !== 'object') return `a ${typeof decision}`;
  const name = (decision as { name?: unknown }).name;
  return typeof name === 'string' ? `target ${quoted(name)}` : 'an object that is not a target';
}

/** Is `target` in `targets`? A loop: the list is short, and `includes` a call for each route. */
function holds(targets: readonly TargetState[], target: TargetState): boolean {
  for (let i = 0; i < targets.length; i++) if (targets[i] === target) return true;
  return false;
}

/** gRPC A6 caps maxAttempts of a hedging (or retry) policy at 5 on the client side. */
const A6_MAX_ATTEMPTS = 5;

/** Is `error` one of `errors` (a 400 or a shed never is)? */
function includesError(errors: readonly RetryError[] | undefined, error: TryError): boolean {
  return error !== 'bad-request' && error !== 'shed' && coversError(errors, error);
}

/**
 * The error kind of a failed attempt, as its answer on the wire says: a provider that speaks a
 * dialect (`Attempt.api`) tells an overload apart where that dialect does (Anthropic's 529);
 * otherwise an overload is a server error like any 5xx. A quota refusal is `quota` where the
 * dialect tells it apart (OpenAI's `insufficient_quota`), else the 429 it looks like.
 */
function errorOf(a: Attempt): TryError {
  const status = a.status;
  if (status === 'overloaded' && a.api !== undefined) return dialectOf(a.api).errors.overloaded.kind;
  switch (status) {
    case 'quota_exceeded':
      return dialectOf(a.api).errors.quota.kind;
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
export function outcomeOf(error: TryError): TryOutcome {
  switch (error) {
    case 'rate-limited':
    case 'quota':
      return 'rate_limited';
    case 'timeout':
      return 'timed_out';
    case 'shed':
      return 'shed';
    default:
      return 'failed';
  }
}
