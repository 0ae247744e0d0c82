import type { Scheduler } from '../../engine/clock.ts';
import { Deque } from '../../engine/deque.ts';
import { createDistribution, type Distribution } from '../../engine/dist/index.ts';
import type { RequestLuck } from '../../engine/luck.ts';
import type { Random } from '../../engine/rng.ts';
import type { ApiProviderConfig } from '../../scenario/schema.ts';
import type { Attempt, RateLimitBucket, RateLimitHeaders } from '../attempt.ts';
import { dialectOf } from '../dialects.ts';
import { FastAnswers, type FastStatus } from '../fast-answer.ts';
import { FaultState, NO_OUTPUT_FAULTS, type OutputFaults } from '../faults/fault-state.ts';
import type { AttemptSink, CapacityTime, Provider } from '../provider.ts';
import { TokenBucket } from '../token-bucket.ts';
import { UtilizationMeter } from '../utilization.ts';

/**
 * A prompt-cache entry: its prefix, when it was last seen, the prompt tokens then cached, and how
 * many of its uses are still in the provider's use queue (the last of them is at `lastMs`).
 */
interface PromptCacheEntry {
  readonly prefixId: number;
  lastMs: number;
  tokens: number;
  queued: number;
}

/** Marks (as `Attempt.handle`) an attempt whose output a fault cuts. */
const CUT_BY_FAULT = Symbol('cut by fault');

/** The retry-after of a 429 that can never pass. */
const NEVER_RETRY_AFTER_MS = 60_000;

/**
 * ApiProvider (`kind: api`): a hosted model API as one account sees it.
 *
 * - Rate limits: requests, input tokens and output tokens per minute, each a continuously
 *   refilled token bucket; the first one exhausted answers 429 with retry-after (the time until
 *   it would fit). Output tokens are debited when known, at the end, as providers reconcile them.
 * - Capacity: `capacity` requests in service, `queueCapacity` waiting (FIFO); beyond that 503.
 * - Latency: TTFT and output speed drawn per request and degraded linearly as in-service load
 *   goes from `degradation.from` to full (TTFT x `degradation.ttft`, speed x
 *   `degradation.outputRate` at full load); plus the network round trip.
 * - Context window: prompt + output beyond it answers 400.
 * - Cancellation stops generation at once and bills the tokens generated so far.
 * - Faults: a brownout scales TTFT and token gaps, a rate-limit storm scales the limits, capacity
 *   loss the slots. An output a fault cuts (faults/faulty-provider.ts) streams up to its cut and
 *   ends there (a failure at the first token: after the TTFT, with nothing delivered).
 *
 * One completion event per attempt: token times are arithmetic (first token, then one every
 * 1/speed), never an event per token.
 */
export class ApiProvider implements Provider {
  readonly name: string;
  readonly kind = 'api';
  readonly models: readonly string[];
  readonly faults = new FaultState();
  readonly capacity: number;
  readonly contextWindow: number;
  private readonly config: ApiProviderConfig;
  private readonly ttft: Distribution;
  private readonly outputRate: Distribution;
  private readonly rpm: TokenBucket | undefined;
  private readonly inputTpm: TokenBucket | undefined;
  private readonly outputTpm: TokenBucket | undefined;
  private readonly waiting = new Deque<Attempt>();
  private waitingLive = 0;
  private busy = 0;
  private readonly meter: UtilizationMeter;
  private readonly scheduler: Scheduler;
  private readonly sink: AttemptSink;
  private readonly rng: Random;
  /** Per-request luck (engine/luck.ts): an attempt with a seed draws its TTFT and speed from it. */
  private readonly luck: RequestLuck | undefined;
  private readonly outputFaults: OutputFaults;
  private readonly onEnd = (a: Attempt) => this.finish(a);
  private readonly fast: FastAnswers;

  constructor(
    config: ApiProviderConfig,
    scheduler: Scheduler,
    sink: AttemptSink,
    rng: Random,
    outputFaults: OutputFaults = NO_OUTPUT_FAULTS,
    luck?: RequestLuck,
  ) {
    this.config = config;
    this.luck = luck;
    this.scheduler = scheduler;
    this.sink = sink;
    this.fast = new FastAnswers(scheduler, sink);
    this.rng = rng;
    this.outputFaults = outputFaults;
    this.name = config.name;
    this.models = config.models ?? [config.name];
    this.capacity = config.capacity;
    this.contextWindow = config.contextWindow;
    this.slots = config.capacity;
    this.meter = new UtilizationMeter(config.capacity);
    this.ttft = createDistribution(config.ttft);
    this.outputRate = createDistribution(config.outputRate);
    const limits = config.rateLimit;
    this.rpm = limits?.rpm ? new TokenBucket(limits.rpm) : undefined;
    this.inputTpm = limits?.inputTpm ? new TokenBucket(limits.inputTpm) : undefined;
    this.outputTpm = limits?.outputTpm ? new TokenBucket(limits.outputTpm) : undefined;
    const dialect = dialectOf(config.api);
    this.cacheWriteFactor = dialect.cache.write;
    const names = dialect.rateLimitHeaders;
    this.headerBuckets =
      names && (this.rpm || this.inputTpm || this.outputTpm)
        ? {
            requests: { last: undefined },
            inputTokens: { last: undefined },
            outputTokens: names.outputTokens !== undefined ? { last: undefined } : undefined,
            last: undefined,
          }
        : undefined;
  }

  /** A cache write's price as a multiple of the input price (Anthropic: 1.25; 1: not extra). */
  private readonly cacheWriteFactor: number;

  /** The buckets the dialect's rate-limit headers report, each as last sent; undefined: it sends none. */
  private readonly headerBuckets: HeaderMemo | undefined;

  /** Slots taking new work: capacity less any capacity-loss fault (updated on fault changes). */
  private slots: number;

  submit(a: Attempt): void {
    const now = this.scheduler.now();
    const req = a.work;
    a.api = this.config.api;
    if (req.promptTokens + req.outputTokens > this.config.contextWindow) {
      this.answerFast(a, 'bad_request');
      return;
    }
    const retryAfter = this.rateLimitWait(req.promptTokens, now);
    if (retryAfter > 0) {
      // A request larger than the whole bucket can never pass: say so with a long retry-after.
      // A quota refusal has the retry-after its dialect sends with one (none, in every dialect).
      const quota = this.quotaCut();
      a.neverPasses = retryAfter === Number.POSITIVE_INFINITY;
      a.retryAfterMs = a.neverPasses ? NEVER_RETRY_AFTER_MS : retryAfter;
      if (quota && !dialectOf(this.config.api).errors.quota.retryAfter) a.retryAfterMs = 0;
      a.rateLimit = this.rateLimitHeaders(now);
      this.answerFast(a, quota ? 'quota_exceeded' : 'rate_limited');
      return;
    }
    this.rpm?.take(1, now);
    this.inputTpm?.take(req.promptTokens, now);
    a.rateLimit = this.rateLimitHeaders(now);
    if (this.busy < this.slots) this.start(a);
    else if (this.waitingLive < this.config.queueCapacity) {
      a.queuedAtProvider = true;
      this.waiting.push(a);
      this.waitingLive++;
    } else this.answerFast(a, 'overloaded');
  }

  cancel(a: Attempt): void {
    if (a.queuedAtProvider) {
      a.queuedAtProvider = false;
      a.status = 'cancelled';
      this.waitingLive--;
      return;
    }
    if (a.status !== 'pending' || Number.isNaN(a.serviceStartMs)) return;
    // A stream a fault cuts ends at its cut: the failure comes before the caller's leaving is seen.
    if (a.handle === CUT_BY_FAULT) return;
    // Generation stops now; bill what was generated (the end event later sees status != pending).
    const now = this.scheduler.now();
    a.status = 'cancelled';
    a.outputTokens = this.tokensBy(a, now);
    a.endMs = now;
    this.release(a, now);
  }

  faultsChanged(): void {
    const now = this.scheduler.now();
    this.slots = Math.max(0, Math.round(this.capacity * this.faults.capacityFactor));
    this.meter.setAvailable(now, this.slots);
    const f = this.faults.limitFactor;
    this.rpm?.setFactor(f, now);
    this.inputTpm?.setFactor(f, now);
    this.outputTpm?.setFactor(f, now);
    this.startWaiting();
  }

  inService(): number {
    return this.busy;
  }

  queued(): number {
    return this.waitingLive;
  }

  utilization(nowMs: number): number {
    return this.meter.ratio(nowMs);
  }

  capacityTime(nowMs: number): CapacityTime {
    return this.meter.capacityTime(nowMs);
  }

  /**
   * Token times are arithmetic from the start of service: the first at `firstTokenMs`, then one
   * every `tokenIntervalMs`, `outputTokens` in all (already cut short by a stream cut), as a
   * cancelled attempt is billed. An attempt that has ended (reported, or cut or failed and past
   * its end) delivered its `outputTokens`.
   */
  deliveredTokens(a: Attempt, nowMs: number): number {
    if (a.status !== 'pending' && nowMs >= a.endMs) return a.outputTokens;
    return this.tokensBy(a, nowMs);
  }

  /** A hosted API exposes no gauges. */
  gauges(): undefined {
    return undefined;
  }

  /**
   * A refusal now is a quota refusal: a rate-limit storm cuts the limits to zero (the emulator's
   * condition for `insufficient_quota`). Only a provider that names its dialect answers one; one
   * without `api:` answers a plain 429 as it always has.
   */
  private quotaCut(): boolean {
    return this.config.api !== undefined && this.faults.limitFactor === 0;
  }

  /** Retry-after in ms if a limit refuses the request now (Infinity: never), else 0. */
  private rateLimitWait(promptTokens: number, now: number): number {
    let wait = 0;
    if (this.rpm && !this.rpm.canTake(1, now)) wait = Math.max(wait, this.rpm.msUntil(1, now));
    if (this.inputTpm && !this.inputTpm.canTake(promptTokens, now))
      wait = Math.max(wait, this.inputTpm.msUntil(promptTokens, now));
    if (this.outputTpm && !this.outputTpm.canTake(0, now))
      wait = Math.max(wait, this.outputTpm.msUntil(0, now));
    return wait;
  }

  /**
   * The rate-limit headers a response sent now carries, in what the dialect reports (OpenAI: the
   * requests and tokens buckets; Anthropic: requests, input and output tokens; Gemini: none).
   * Undefined without rate limits. Remaining is what is left after this request was counted;
   * reset, the time until the bucket is full again; the limit is the one in force (a rate-limit
   * storm lowers it).
   */
  private rateLimitHeaders(now: number): RateLimitHeaders | undefined {
    const memo = this.headerBuckets;
    if (!memo) return undefined;
    const factor = this.faults.limitFactor;
    const limits = this.config.rateLimit!;
    const requests = headerBucket(this.rpm, limits.rpm, factor, now, memo.requests);
    const inputTokens = headerBucket(this.inputTpm, limits.inputTpm, factor, now, memo.inputTokens);
    const outputTokens = memo.outputTokens
      ? headerBucket(this.outputTpm, limits.outputTpm, factor, now, memo.outputTokens)
      : undefined;
    const last = memo.last;
    if (
      last !== undefined &&
      last.requests === requests &&
      last.inputTokens === inputTokens &&
      last.outputTokens === outputTokens
    )
      return last;
    memo.last = Object.freeze({ requests, inputTokens, outputTokens });
    return memo.last;
  }

  /** Answers with `status` after the network round trip, without serving the attempt. */
  private answerFast(a: Attempt, status: FastStatus): void {
    this.fast.after(this.config.rtt, a, status);
  }

  private start(a: Attempt): void {
    const now = this.scheduler.now();
    this.busy++;
    this.meter.setBusy(now, this.busy);
    a.queuedAtProvider = false;
    a.serviceStartMs = now;
    const d = this.config.degradation;
    const load = this.busy / this.capacity;
    const over = load > d.from ? Math.min(1, (load - d.from) / Math.max(1e-9, 1 - d.from)) : 0;
    const ttftFactor = (1 + over * (d.ttft - 1)) * this.faults.latency;
    const speedFactor = (1 + over * (d.outputRate - 1)) / this.faults.latency;
    const cached = this.promptCacheHit(a, now);
    const req = a.work;
    // The cached share of the prompt skips most of its prefill time.
    const cacheFactor =
      cached > 0 ? 1 - (cached / req.promptTokens) * (1 - this.config.promptCache!.ttftFactor) : 1;
    const rng = this.luck !== undefined && a.luckSeed >= 0 ? this.luck.latency(a.luckSeed) : this.rng;
    const ttft = this.ttft.sample(rng) * ttftFactor * cacheFactor + this.config.rtt;
    const tokensPerMs = (this.outputRate.sample(rng) * speedFactor) / 1000;
    const cap = this.outputFaults.outputCap(a);
    const tokens = Math.min(a.work.outputTokens, cap);
    if (cap !== Number.POSITIVE_INFINITY) a.handle = CUT_BY_FAULT;
    a.firstTokenMs = cap === 0 ? Number.POSITIVE_INFINITY : now + ttft;
    a.outputTokens = tokens;
    a.tokenIntervalMs = 1 / tokensPerMs;
    // A speed drawn as 0 (a normal truncated at 0) streams nothing more: no 0 / 0 for a 1-token answer.
    a.endMs = now + ttft + (tokens > 1 ? (tokens - 1) / tokensPerMs : 0);
    this.scheduler.at(a.endMs, this.onEnd, a);
  }

  /** Output tokens streamed by `now` of an attempt in service (0 before it starts). */
  private tokensBy(a: Attempt, now: number): number {
    if (!(now >= a.firstTokenMs)) return 0;
    if (!(a.tokenIntervalMs > 0)) return a.outputTokens;
    return Math.min(a.outputTokens, 1 + Math.floor((now - a.firstTokenMs) / a.tokenIntervalMs));
  }

  private finish(a: Attempt): void {
    if (a.status === 'cancelled') return; // released at cancel time
    if (a.status === 'pending') a.status = a.outputTokens < a.work.outputTokens ? 'stream_cut' : 'ok';
    this.release(a, this.scheduler.now());
  }

  /**
   * Looks the request's prefix up in the prompt cache (entries live `ttl` after their last use)
   * and records this use; returns the prompt tokens served from the cache.
   */
  private promptCacheHit(a: Attempt, now: number): number {
    const cache = this.config.promptCache;
    const req = a.work;
    if (!cache || req.prefixId < 0 || req.prefixTokens <= 0) return 0;
    this.expirePromptCache(now, cache.ttl);
    let entry = this.promptCache.get(req.prefixId);
    const hit = entry !== undefined && now - entry.lastMs <= cache.ttl;
    const cachedTokens = hit ? entry!.tokens : 0;
    // This prompt is what the cache holds for the prefix from now on (a session's next call
    // repeats it); a hit covers only what this provider saw before. The entry is reused.
    if (entry === undefined) {
      entry = { prefixId: req.prefixId, lastMs: now, tokens: req.promptTokens, queued: 0 };
      this.promptCache.set(req.prefixId, entry);
    } else {
      entry.lastMs = now;
      entry.tokens = req.promptTokens;
    }
    entry.queued++;
    this.promptCacheUses.push(entry);
    if (!hit) {
      // A miss writes the prefix to the cache, which some dialects bill above the input price.
      if (this.cacheWriteFactor !== 1) a.cacheWriteInputTokens = Math.min(req.prefixTokens, req.promptTokens);
      return 0;
    }
    a.cachedInputTokens = Math.min(req.prefixTokens, req.promptTokens, cachedTokens);
    return a.cachedInputTokens;
  }

  /**
   * Drops the entries whose last use is more than `ttl` before `now` (misses anyway), oldest use
   * first, so memory follows the live prefixes, not every agent session the run ever had. A use
   * an entry has had since is further back in the queue: the older one just leaves it.
   */
  private expirePromptCache(now: number, ttl: number): void {
    const uses = this.promptCacheUses;
    for (let e = uses.peekFront(); e !== undefined; e = uses.peekFront()) {
      if (e.queued === 1 && now - e.lastMs <= ttl) return;
      uses.shift();
      if (--e.queued === 0) this.promptCache.delete(e.prefixId);
    }
  }

  /** Per prefix id: when this provider last saw it and the prompt tokens it then cached. */
  private readonly promptCache = new Map<number, PromptCacheEntry>();
  /** Each use of an entry, oldest first (an entry reused since appears again further back). */
  private readonly promptCacheUses = new Deque<PromptCacheEntry>();

  /** Frees the slot, debits output tokens, bills, reports, starts the next waiting attempt. */
  private release(a: Attempt, now: number): void {
    this.busy--;
    this.meter.setBusy(now, this.busy);
    this.outputTpm?.take(a.outputTokens, now);
    a.billedInputTokens = a.work.promptTokens;
    const cachedPrice = this.config.promptCache?.cachedInputPerMTok ?? 0;
    // A cancelled stream bills what was generated, everything it would have generated (providers
    // that finish in the background), or nothing, as the provider's terms say.
    const billing = this.config.cancelBilling;
    a.billedOutputTokens =
      a.status !== 'cancelled' || billing === 'generated'
        ? a.outputTokens
        : billing === 'full'
          ? a.work.outputTokens
          : 0;
    const p = this.config.pricing;
    a.costUsd =
      ((a.billedInputTokens - a.cachedInputTokens) * p.inputPerMTok +
        a.cacheWriteInputTokens * (this.cacheWriteFactor - 1) * p.inputPerMTok +
        a.cachedInputTokens * cachedPrice +
        a.billedOutputTokens * p.outputPerMTok) /
      1e6;
    this.sink.attemptDone(a);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.busy < this.slots && this.waitingLive > 0) {
      const next = this.waiting.shift()!;
      if (!next.queuedAtProvider) continue; // cancelled while waiting
      this.waitingLive--;
      this.start(next);
    }
  }
}

/**
 * The headers a provider sent last, kept to be sent again while their figures repeat (a limit far
 * from binding states the same after every request): frozen data, so a response may share it, and
 * no freeze per response. `outputTokens` is undefined where the dialect does not report that bucket.
 */
interface HeaderMemo {
  readonly requests: BucketMemo;
  readonly inputTokens: BucketMemo;
  readonly outputTokens: BucketMemo | undefined;
  last: RateLimitHeaders | undefined;
}

/** One bucket as the headers stated it last (undefined: none yet). */
interface BucketMemo {
  last: RateLimitBucket | undefined;
}

/**
 * One bucket as the headers state it now: the limit in force (`factor`: a rate-limit storm lowers
 * it), what is left after this request was counted, and the time until the bucket is full again.
 * Undefined for a limit the provider does not have. The same figures as `memo`'s give its bucket
 * again. (A function, not a closure per response.)
 */
function headerBucket(
  b: TokenBucket | undefined,
  configured: number | undefined,
  factor: number,
  now: number,
  memo: BucketMemo,
): RateLimitBucket | undefined {
  if (!b || configured === undefined) return undefined;
  const limit = configured * factor;
  const left = b.available(now);
  const resetMs = limit > 0 ? Math.max(0, ((limit - left) * 60_000) / limit) : Number.POSITIVE_INFINITY;
  const remaining = Math.max(0, Math.floor(left + 1e-9));
  const last = memo.last;
  if (last !== undefined && last.limit === limit && last.remaining === remaining && last.resetMs === resetMs)
    return last;
  memo.last = Object.freeze({ limit, remaining, resetMs });
  return memo.last;
}
