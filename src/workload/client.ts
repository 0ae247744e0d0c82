/**
 * Client: the users behind the gateway. It sends each request as a try, enforces the client
 * timeout, retries failed tries with backoff (client retries are modelled apart from gateway
 * retries: both amplify load, and gateway retry budgets do not see the client's; a client retry
 * budget, per class, is gRPC A6's client-side retry throttling),
 * abandons requests whose user ran out of patience, and sets every request's terminal outcome
 * exactly once (FG-1).
 */
import type { Scheduler } from '../engine/clock.ts';
import { createDistribution, type Distribution, type DistributionSpec } from '../engine/dist/index.ts';
import type { TimerHandle } from '../engine/heap.ts';
import type { Random } from '../engine/rng.ts';
import { backoffDelay } from '../gateway/backoff.ts';
import type { Gateway } from '../gateway/pipeline.ts';
import { createRetryBudget, type RetryBudget } from '../gateway/retry-budget.ts';
import { coversError, type TryError, type TryListener, type TryOutcome } from '../gateway/try-listener.ts';
import type { WorkItem } from '../providers/work-item.ts';
import type { ClientConfig } from '../scenario/schema.ts';
import type { WorkloadProbe } from './probe.ts';
import { type Outcome, Request } from './request.ts';
import type { Session } from './sessions.ts';

/** Tab-completion typing: per class the keystroke-gap distribution and the debounce. */
export interface TypingOptions {
  keystrokes: readonly (DistributionSpec | undefined)[];
  debounceMs: readonly number[];
  rng: Random;
}

export class Client implements TryListener<Request> {
  /** Requests arrived and not yet terminal. */
  live = 0;
  private readonly scheduler: Scheduler;
  private readonly gateway: Gateway;
  private readonly probe: WorkloadProbe;
  private readonly configs: readonly ClientConfig[];
  private readonly patience: readonly (Distribution | undefined)[];
  private readonly retryRng: Random;
  private readonly patienceRng: Random;
  private readonly onTimeout = (req: Request) => this.timedOut(req);
  private readonly onAbandon = (req: Request) => this.abandon(req);
  private readonly onNextTry = (req: Request) => this.nextTryDue(req);
  private readonly onKeystroke = (req: Request) => this.keystrokeCame(req);
  /** Per class: time to the user's next keystroke, and the client debounce (ms). */
  private readonly keystroke: readonly (Distribution | undefined)[];
  private readonly debounceMs: readonly number[];
  private readonly keystrokeRng: Random;
  /** Per class: the client retry budget, if any, and the class's retries in progress. */
  private readonly budgets: readonly (RetryBudget | undefined)[];
  private readonly activeRetries: number[];
  /** Per class: requests arrived and not yet terminal (the percent budget's base). */
  private readonly liveByClass: number[];
  /** Per class: no patience, keystrokes or debounce, so a request's first try starts on arrival. */
  private readonly direct: boolean[];
  /** Ended requests to reuse (only when recycling: nobody keeps a request after it ended). */
  private readonly pool: Request[] | undefined;

  /** `configs[i]` is the client behaviour of class i. */
  constructor(
    scheduler: Scheduler,
    gateway: Gateway,
    probe: WorkloadProbe,
    configs: readonly ClientConfig[],
    retryRng: Random,
    patienceRng: Random,
    typing?: TypingOptions,
    /**
     * Reuse ended requests for later arrivals: only when the probe and the sessions keep no
     * request after `requestEnded`/`callEnded` returned (the recorder and the session runner keep none).
     */
    recycle = false,
  ) {
    this.scheduler = scheduler;
    this.gateway = gateway;
    this.probe = probe;
    this.configs = configs;
    this.patience = configs.map((c) => (c.abandonAfter ? createDistribution(c.abandonAfter) : undefined));
    this.retryRng = retryRng;
    this.patienceRng = patienceRng;
    this.keystroke = (typing?.keystrokes ?? []).map((d) => (d ? createDistribution(d) : undefined));
    this.debounceMs = typing?.debounceMs ?? [];
    this.keystrokeRng = typing?.rng ?? patienceRng;
    this.budgets = configs.map((c) => (c.retries.budget ? createRetryBudget(c.retries.budget) : undefined));
    this.activeRetries = configs.map(() => 0);
    this.liveByClass = configs.map(() => 0);
    this.pool = recycle ? [] : undefined;
    this.direct = configs.map(
      (_, i) => !this.patience[i] && !this.keystroke[i] && !((this.debounceMs[i] ?? 0) > 0),
    );
  }

  /**
   * A new request arrives (open loop: called on the arrival schedule, whatever the state);
   * `session` when it is a call of an agent session, told when the request ends.
   */
  arrive(work: WorkItem, session?: Session): void {
    const pooled = this.pool?.pop();
    let req: Request;
    if (pooled === undefined) req = new Request(work, session, this.gateway, this);
    else {
      pooled.reuse(work, session, this.gateway, this);
      req = pooled;
    }
    const classIndex = work.classIndex;
    this.live++;
    this.liveByClass[classIndex]!++;
    this.probe.arrived(work);
    if (this.direct[classIndex]) {
      this.startTry(req);
      return;
    }
    const patience = this.patience[classIndex];
    // Drawn at arrival from the workload's own stream, so it is identical whatever the policy.
    if (patience)
      req.patienceTimer = this.scheduler.after(patience.sample(this.patienceRng), this.onAbandon, req);
    // Tab completions: the next keystroke supersedes the request (drawn at arrival, so the same
    // whatever the policy). Within the debounce the request is never sent.
    const keystroke = this.keystroke[classIndex];
    const gap = keystroke ? keystroke.sample(this.keystrokeRng) : Number.POSITIVE_INFINITY;
    const debounce = this.debounceMs[classIndex] ?? 0;
    if (gap < Number.POSITIVE_INFINITY) req.keystrokeTimer = this.scheduler.after(gap, this.onKeystroke, req);
    if (gap < debounce) return;
    if (debounce > 0) req.nextTryTimer = this.scheduler.after(debounce, this.onNextTry, req);
    else this.startTry(req);
  }

  /** The user typed on: cancel whatever is in progress; the request ends cancelled. */
  private keystrokeCame(req: Request): void {
    req.keystrokeTimer = -1;
    if (req.outcome !== undefined) return;
    this.gateway.supersede(req.ticket);
    this.stopTry(req);
    this.finish(req, 'cancelled');
  }

  tryEnded(req: Request, outcome: TryOutcome, error: TryError | undefined): void {
    if (!req.tryActive || req.outcome !== undefined) return;
    req.tryActive = false;
    this.cancel(req.timeoutTimer);
    req.timeoutTimer = -1;
    this.afterTry(req, outcome, error);
  }

  /** The client gives up on the try in progress, if any: the gateway stops all work on it. */
  private stopTry(req: Request): void {
    if (!req.tryActive) return;
    req.tryActive = false;
    this.cancel(req.timeoutTimer);
    req.timeoutTimer = -1;
    this.gateway.cancelTry(req.ticket);
  }

  private startTry(req: Request): void {
    const now = this.scheduler.now();
    req.tries++;
    req.tryActive = true;
    const timeout = this.configs[req.work.classIndex]!.timeout;
    if (timeout !== undefined) {
      req.tryDeadlineMs = now + timeout;
      req.timeoutTimer = this.scheduler.at(req.tryDeadlineMs, this.onTimeout, req);
    }
    this.gateway.receive(req.ticket, req.tries);
  }

  private afterTry(req: Request, outcome: Outcome, error: TryError | undefined): void {
    this.retryDone(req);
    const classIndex = req.work.classIndex;
    const budget = this.budgets[classIndex];
    if (outcome === 'ok') {
      budget?.onSuccess();
      this.finish(req, 'ok');
      return;
    }
    const retries = this.configs[classIndex]!.retries;
    // A shed answer is a 503/429 to the client; it retries it like a server error.
    const kind = error === 'shed' ? 'server-error' : error;
    const retryable = kind !== undefined && kind !== 'bad-request' && coversError(retries.on, kind);
    // gRPC A6: only a failure the client would retry takes a token (before the check, as grpc-go
    // and grpc-java count it, also when the retries are used up).
    if (retryable && retries.max > 0) budget?.onFailure();
    if (retryable && req.tries <= retries.max) {
      if (budget && !budget.allows(this.liveByClass[classIndex]!, this.activeRetries[classIndex]!)) {
        this.probe.retryDenied(req.work);
        this.finish(req, outcome);
        return;
      }
      req.clientRetrying = true;
      this.activeRetries[classIndex]!++;
      const delay = backoffDelay(retries.backoff, req.tries, req.clientBackoffMs, this.retryRng);
      req.clientBackoffMs = delay;
      this.probe.clientRetried(req.work);
      req.nextTryTimer = this.scheduler.after(delay, this.onNextTry, req);
      return;
    }
    this.finish(req, outcome);
  }

  /** The next try is due (a retry, or the first after the debounce); a request that ended cancelled it. */
  private nextTryDue(req: Request): void {
    req.nextTryTimer = -1;
    this.startTry(req);
  }

  private timedOut(req: Request): void {
    req.timeoutTimer = -1;
    if (!req.tryActive || req.outcome !== undefined || this.scheduler.now() < req.tryDeadlineMs) return;
    this.stopTry(req);
    this.afterTry(req, 'timed_out', 'timeout');
  }

  private abandon(req: Request): void {
    req.patienceTimer = -1;
    if (req.outcome !== undefined) return;
    this.stopTry(req);
    this.finish(req, 'abandoned');
  }

  private cancel(handle: TimerHandle): void {
    if (handle >= 0) this.scheduler.cancel(handle);
  }

  /** A retry that was scheduled or in flight is over (its try ended, or the request did). */
  private retryDone(req: Request): void {
    if (!req.clientRetrying) return;
    req.clientRetrying = false;
    this.activeRetries[req.work.classIndex]!--;
  }

  private finish(req: Request, outcome: Outcome): void {
    this.retryDone(req);
    // Nothing more can happen to the request: its pending timers leave the event queue.
    this.cancel(req.nextTryTimer);
    this.cancel(req.patienceTimer);
    this.cancel(req.keystrokeTimer);
    req.nextTryTimer = req.patienceTimer = req.keystrokeTimer = -1;
    req.outcome = outcome;
    this.live--;
    this.liveByClass[req.work.classIndex]!--;
    this.probe.requestEnded(req);
    // An agent session goes on from here (its next call, a retry, or its end).
    req.session?.runner.callEnded(req.session, req);
    // Everyone was told: the gateway may reuse the ticket, and this client the request.
    this.gateway.close(req.ticket);
    this.pool?.push(req);
  }
}
