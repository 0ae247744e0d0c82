/**
 * Recorder: turns engine events into bounded-memory statistics (FG-6): per class, per provider
 * and overall histograms and counts for requests that arrived after warmup, and fixed-interval
 * time series for the whole run. Pure bookkeeping: it never changes what happens.
 *
 * Metric definitions (docs/concepts/metrics.md): TTFT = first token - arrival at the gateway
 * (queueing and retries included); E2E = completion - arrival; TPOT = (E2E - TTFT) / (output
 * tokens - 1), as vLLM defines it; ITL = gaps between tokens; queue wait = time in the gateway
 * queue + time in the provider queue of the successful attempt.
 */

import { highWord, LogHistogram } from '../engine/histogram.ts';
import type { GatewayProbe, RejectionKind } from '../gateway/probe.ts';
import type { Attempt, AttemptStatus } from '../providers/attempt.ts';
import type { PoolGauge } from '../providers/gpu/autoscaler.ts';
import type { QualityModel } from '../providers/quality.ts';
import type { WorkItem } from '../providers/work-item.ts';
import type { ClassSlo } from '../scenario/schema.ts';
import type { WorkloadProbe } from '../workload/probe.ts';
import { OUTCOMES, type Outcome, type Request } from '../workload/request.ts';
import type { Session } from '../workload/sessions.ts';
import { RejectionCounter } from './rejections.ts';
import { Series, type WindowCount, WindowCounts } from './timeseries.ts';
import { TtftE2e } from './ttft-e2e.ts';

/** Position of each outcome in `ClassMetrics.outcomes`: the order of OUTCOMES. */
const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;
const OK = OUTCOME_INDEX.ok;

// Cells of the recorder's WindowCounts: its own counters first (outcomes but ok after these), then
// CLASS_CELLS per class, then PROVIDER_CELLS per provider, each in the order its constructor makes them.
const OFFERED = 0;
const ADMITTED = 1;
const COMPLETED = 2;
const GOODPUT = 3;
const ATTEMPTS = 4;
const COST_USD = 5;
const ACCEPTABLE = 6;
const QUALITY_GOODPUT = 7;
const RECORDER_CELLS = 8 + OUTCOMES.length - 1;
// Offsets from a class's first cell.
const C_OFFERED = 0;
const C_COMPLETED = 1;
const C_GOODPUT = 2;
const C_ACCEPTABLE = 3;
const C_QUALITY_GOODPUT = 4;
const CLASS_CELLS = 5;
// Offsets from a provider's first cell.
const P_ATTEMPTS = 0;
const P_ERRORS = 1;
const P_INPUT_TOKENS = 2;
const P_CACHED_TOKENS = 3;
const P_OFFLOADED_TOKENS = 4;
const PROVIDER_CELLS = 5;

export class ClassMetrics {
  readonly name: string;
  /** Per-request goodput targets (ms); Infinity where the class sets none. */
  readonly slo: { ttftMs: number; tpotMs: number; e2eMs: number };
  offered = 0;
  readonly outcomes = new Float64Array(OUTCOMES.length);
  attempts = 0;
  clientRetries = 0;
  gatewayRetries = 0;
  retriesDenied = 0;
  hedges = 0;
  goodput = 0;
  costUsd = 0;
  inputTokens = 0;
  outputTokens = 0;
  /** Output tokens and cost of attempts for requests the user cancelled (work nobody saw). */
  wastedOutputTokens = 0;
  wastedCostUsd = 0;
  /** Prompt tokens served from providers' prompt caches. */
  cachedInputTokens = 0;
  /** Agent sessions (measured by arrival): ended completed or aborted, calls, tokens, cost. */
  sessionsStarted = 0;
  sessionsCompleted = 0;
  sessionsAborted = 0;
  sessionCalls = 0;
  sessionInputTokens = 0;
  sessionOutputTokens = 0;
  sessionCostUsd = 0;
  readonly sessionDuration = new LogHistogram();
  /** TTFT and E2E of measured requests (`ttft`, `e2e`). */
  readonly latency = new TtftE2e();
  readonly tpot = new LogHistogram();
  readonly itl = new LogHistogram();
  readonly queueWait = new LogHistogram();
  // Time series of this class: TTFT and E2E of the requests ending in the window in progress.
  readonly windowLatency = new TtftE2e(4);
  /** First of this class's cells in the recorder's WindowCounts (offsets C_*). */
  readonly cell: number;
  readonly windowOffered: WindowCount;
  readonly windowCompleted: WindowCount;
  readonly windowGoodput: WindowCount;
  /** Goodput filed under each request's arrival window: the share of a window's arrivals served well. */
  readonly goodputByArrival = new Series();
  readonly seriesTtftP50 = new Series();
  readonly seriesTtftP99 = new Series();
  readonly seriesE2eP50 = new Series();
  readonly seriesE2eP99 = new Series();
  /**
   * Quality (docs/concepts/quality.md), measured requests: acceptable answers, those also within
   * the class's SLOs, the routing policy's own calls (classifier, judge) and their cost (also in
   * `costUsd`), and escalations (answers a judge rejected).
   */
  acceptable = 0;
  qualityGoodput = 0;
  routerCalls = 0;
  routerCostUsd = 0;
  escalations = 0;
  readonly windowAcceptable: WindowCount;
  readonly windowQualityGoodput: WindowCount;
  /** Acceptable answers filed under each request's arrival window (a window's acceptable share). */
  readonly acceptableByArrival = new Series();

  constructor(name: string, slo: ClassSlo, counts: WindowCounts) {
    this.name = name;
    this.cell = counts.size;
    this.windowOffered = counts.counter();
    this.windowCompleted = counts.counter();
    this.windowGoodput = counts.counter();
    this.windowAcceptable = counts.counter();
    this.windowQualityGoodput = counts.counter();
    const inf = Number.POSITIVE_INFINITY;
    this.slo = { ttftMs: slo.ttft ?? inf, tpotMs: slo.tpot ?? inf, e2eMs: slo.e2e ?? inf };
  }

  count(outcome: Outcome): number {
    return this.outcomes[OUTCOME_INDEX[outcome]]!;
  }

  get ttft(): LogHistogram {
    return this.latency.ttft;
  }

  get e2e(): LogHistogram {
    return this.latency.e2e;
  }
}

/** Attempt statuses as results list them (the gateway adds timeout and cancelled). */
export const ATTEMPT_STATUSES: readonly Exclude<AttemptStatus, 'pending'>[] = [
  'ok',
  'rate_limited',
  'quota_exceeded',
  'server_error',
  'overloaded',
  'bad_request',
  'stream_cut',
  'timeout',
  'cancelled',
];
const STATUS_INDEX = Object.fromEntries(ATTEMPT_STATUSES.map((s, i) => [s, i])) as Record<
  AttemptStatus,
  number
>;

export class ProviderMetrics {
  readonly name: string;
  attempts = 0;
  /** Counts by status, indexed like ATTEMPT_STATUSES. */
  readonly statuses = new Float64Array(ATTEMPT_STATUSES.length);
  readonly queueWait = new LogHistogram();
  readonly serviceTime = new LogHistogram();
  readonly ttft = new LogHistogram();
  inputTokens = 0;
  cachedInputTokens = 0;
  outputTokens = 0;
  costUsd = 0;
  /** First of this provider's cells in the recorder's WindowCounts (offsets P_*). */
  readonly cell: number;
  readonly windowAttempts: WindowCount;
  readonly windowErrors: WindowCount;
  readonly seriesInService = new Series();
  readonly seriesQueued = new Series();
  /** KV-cache use (self-hosted pools only). */
  readonly seriesKvUsage = new Series();
  hasKvUsage = false;
  /** Input tokens, and those caches served, of attempts ending in the current window. */
  readonly windowInputTokens: WindowCount;
  readonly windowCachedTokens: WindowCount;
  readonly seriesCachedShare = new Series();
  hasCachedTokens = false;
  /** Of the input tokens, those a GPU pool's CPU KV tier served. */
  readonly windowOffloadedTokens: WindowCount;
  readonly seriesOffloadShare = new Series();
  hasOffloadedTokens = false;
  /** An autoscaled pool's replicas (desired, starting, ready) and fleet cost so far, at each window's end. */
  readonly seriesReplicasDesired = new Series();
  readonly seriesReplicasStarting = new Series();
  readonly seriesReplicasReady = new Series();
  readonly seriesFleetCostUsd = new Series();
  hasReplicas = false;
  /** A pool on a node pool: its nodes (requested, provisioning, ready) at each window's end. */
  readonly seriesNodesRequested = new Series();
  readonly seriesNodesProvisioning = new Series();
  readonly seriesNodesReady = new Series();
  hasNodes = false;

  constructor(name: string, counts: WindowCounts) {
    this.name = name;
    this.cell = counts.size;
    this.windowAttempts = counts.counter();
    this.windowErrors = counts.counter();
    this.windowInputTokens = counts.counter();
    this.windowCachedTokens = counts.counter();
    this.windowOffloadedTokens = counts.counter();
  }

  bump(status: AttemptStatus): void {
    // 'ok' is nearly every status: no keyed lookup for it.
    this.statuses[status === 'ok' ? 0 : STATUS_INDEX[status]]!++;
  }
}

/** Gauges the recorder samples when a window closes (read, never changed). */
export interface GaugeSource {
  gatewayInFlight(): number;
  gatewayQueued(): number;
  liveRequests(): number;
  liveSessions(): number;
  /** Per provider, in scenario order. */
  providerInService(i: number): number;
  providerQueued(i: number): number;
  /** Mean KV-cache use of a self-hosted pool; undefined for providers without one. */
  providerKvUsage(i: number): number | undefined;
  /** An autoscaled pool's replicas and fleet cost so far; undefined (or absent) for every other provider. */
  providerReplicas?(i: number): ReplicaGauge | undefined;
}

/** An autoscaled pool's replica counts and the fleet cost billed so far (the pool's own gauge). */
export type ReplicaGauge = PoolGauge;

/**
 * The recorder is the probe of every model layer (GatewayProbe, WorkloadProbe): it is told what
 * happens and only reads what it is given.
 */
export class Recorder implements GatewayProbe, WorkloadProbe {
  readonly intervalMs: number;
  readonly classes: readonly ClassMetrics[];
  readonly providers: readonly ProviderMetrics[];
  /** Window count closed so far. */
  windows = 0;
  /** Counts of the window in progress (every count is made at the current time), and their cells. */
  private readonly counts: WindowCounts;
  private readonly cells: Float64Array;
  readonly offered: WindowCount;
  readonly admittedCount: WindowCount;
  readonly completed: WindowCount;
  readonly goodput: WindowCount;
  readonly attempts: WindowCount;
  readonly costUsd: WindowCount;
  readonly outcomes: Record<Exclude<Outcome, 'ok'>, WindowCount>;
  readonly gatewayInFlight = new Series();
  readonly gatewayQueued = new Series();
  readonly liveRequests = new Series();
  readonly liveSessions = new Series();
  /** Policy rejections of measured requests, by policy, reason and class. */
  readonly rejections: RejectionCounter;
  /** Whether answers are acceptable (a scenario `quality` section); undefined: no quality figures. */
  readonly quality: QualityModel | undefined;
  readonly acceptable: WindowCount;
  readonly qualityGoodput: WindowCount;
  readonly acceptableByArrival = new Series();

  constructor(
    intervalMs: number,
    classes: readonly { name: string; slo: ClassSlo }[],
    providers: readonly { name: string }[],
    policies: Record<'admission' | 'routing', string> = { admission: 'admission', routing: 'routing' },
    quality?: QualityModel,
  ) {
    this.intervalMs = intervalMs;
    this.quality = quality;
    this.rejections = new RejectionCounter(policies, classes.length);
    const counts = new WindowCounts(
      RECORDER_CELLS + CLASS_CELLS * classes.length + PROVIDER_CELLS * providers.length,
    );
    this.counts = counts;
    this.cells = counts.cells;
    // In the order of the cell constants.
    this.offered = counts.counter();
    this.admittedCount = counts.counter();
    this.completed = counts.counter();
    this.goodput = counts.counter();
    this.attempts = counts.counter();
    this.costUsd = counts.counter();
    this.acceptable = counts.counter();
    this.qualityGoodput = counts.counter();
    this.outcomes = {
      shed: counts.counter(),
      rate_limited: counts.counter(),
      failed: counts.counter(),
      timed_out: counts.counter(),
      abandoned: counts.counter(),
      cancelled: counts.counter(),
    };
    this.classes = classes.map((c) => new ClassMetrics(c.name, c.slo, counts));
    this.providers = providers.map((p) => new ProviderMetrics(p.name, counts));
  }

  private window(tMs: number): number {
    // A division, not a multiplication by 1 / interval: 3_600_000 x (1 / 3_600_000) rounds below 1.
    return Math.floor(tMs / this.intervalMs);
  }

  // The hooks called for every request test boolean fields as `=== true` / `=== false`: one
  // compare, where a bare `if (work.measured)` compiles to V8's generic truthiness test (it does
  // not know the field only ever holds a boolean).
  arrived(work: WorkItem): void {
    const cells = this.cells;
    cells[OFFERED]!++;
    const c = this.classes[work.classIndex]!;
    cells[c.cell + C_OFFERED]!++;
    if (work.measured === true) c.offered++;
  }

  admitted(_work: WorkItem): void {
    this.cells[ADMITTED]!++;
  }

  clientRetried(work: WorkItem): void {
    if (work.measured) this.classes[work.classIndex]!.clientRetries++;
  }

  sessionStarted(classIndex: number, measured: boolean): void {
    if (measured) this.classes[classIndex]!.sessionsStarted++;
  }

  /** An agent session ended (completed or aborted). */
  sessionEnded(s: Session, nowMs: number): void {
    if (!s.measured) return;
    const c = this.classes[s.classIndex]!;
    if (s.state === 'completed') {
      c.sessionsCompleted++;
      c.sessionDuration.recordOne(nowMs - s.arrivalMs);
    } else c.sessionsAborted++;
    c.sessionCalls += s.callsMade;
    c.sessionInputTokens += s.inputTokens;
    c.sessionOutputTokens += s.outputTokens;
    c.sessionCostUsd += s.costUsd;
  }

  /** A gateway policy rejected the request (`reason` is what the policy returned). */
  rejected(work: WorkItem, kind: RejectionKind, reason: unknown): void {
    if (work.measured) this.rejections.add(work.classIndex, kind, reason);
  }

  hedged(work: WorkItem): void {
    if (work.measured) this.classes[work.classIndex]!.hedges++;
  }

  /** A retry a budget refused (the try ends with its error instead). */
  retryDenied(work: WorkItem): void {
    if (work.measured) this.classes[work.classIndex]!.retriesDenied++;
  }

  /** The routing policy's classifier or judge ran for `work`: its cost is the request's. */
  routerCall(work: WorkItem, _call: 'classifier' | 'judge', costUsd: number): void {
    this.cells[COST_USD]! += costUsd;
    if (!work.measured) return;
    const c = this.classes[work.classIndex]!;
    c.routerCalls++;
    c.routerCostUsd += costUsd;
    c.costUsd += costUsd;
  }

  escalated(work: WorkItem): void {
    if (work.measured) this.classes[work.classIndex]!.escalations++;
  }

  gatewayRetried(work: WorkItem): void {
    if (work.measured) this.classes[work.classIndex]!.gatewayRetries++;
  }

  attemptStarted(a: Attempt): void {
    const cells = this.cells;
    cells[ATTEMPTS]!++;
    const p = this.providers[a.providerIndex]!;
    cells[p.cell + P_ATTEMPTS]!++;
    if (a.work.measured === true) {
      this.classes[a.work.classIndex]!.attempts++;
      p.attempts++;
    }
  }

  /** The gateway stopped waiting (timeout or cancel); counted once under that status. */
  attemptAbandoned(a: Attempt, status: 'timeout' | 'cancelled'): void {
    const p = this.providers[a.providerIndex]!;
    // A timeout is an error of the provider as the gateway sees it; a cancel is the client's doing.
    if (status === 'timeout') this.cells[p.cell + P_ERRORS]!++;
    if (a.work.measured) p.bump(status);
  }

  /** The provider finished an attempt (also attempts the gateway had abandoned: billing, busy time). */
  attemptDone(a: Attempt, wasted: boolean): void {
    const p = this.providers[a.providerIndex]!;
    const end = Number.isNaN(a.endMs) ? a.startMs : a.endMs;
    const cells = this.cells;
    const cell = p.cell;
    cells[COST_USD]! += a.costUsd;
    if (a.abandoned === false && a.status !== 'ok') cells[cell + P_ERRORS]!++;
    cells[cell + P_INPUT_TOKENS]! += a.billedInputTokens;
    cells[cell + P_CACHED_TOKENS]! += a.cachedInputTokens;
    if (a.cachedInputTokens > 0) p.hasCachedTokens = true;
    if (a.offloadedInputTokens > 0) {
      cells[cell + P_OFFLOADED_TOKENS]! += a.offloadedInputTokens;
      p.hasOffloadedTokens = true;
    }
    if (a.work.measured === false) return;
    if (a.abandoned === false) p.bump(a.status);
    if (!Number.isNaN(a.serviceStartMs)) {
      p.queueWait.recordOne(a.serviceStartMs - a.startMs);
      p.serviceTime.recordOne(end - a.serviceStartMs);
      if (a.firstTokenMs <= end) p.ttft.recordOne(a.firstTokenMs - a.startMs);
    }
    if (a.costUsd === 0 && a.billedInputTokens === 0 && a.billedOutputTokens === 0) return;
    p.inputTokens += a.billedInputTokens;
    p.cachedInputTokens += a.cachedInputTokens;
    p.outputTokens += a.billedOutputTokens;
    p.costUsd += a.costUsd;
    const c = this.classes[a.work.classIndex]!;
    if (wasted) {
      c.wastedOutputTokens += a.billedOutputTokens;
      c.wastedCostUsd += a.costUsd;
    }
    c.inputTokens += a.billedInputTokens;
    c.cachedInputTokens += a.cachedInputTokens;
    c.outputTokens += a.billedOutputTokens;
    c.costUsd += a.costUsd;
  }

  requestEnded(req: Request): void {
    const work = req.work;
    const c = this.classes[work.classIndex]!;
    const outcome = req.outcome!;
    if (outcome !== 'ok') {
      this.cells[this.outcomes[outcome].cell]!++;
      if (work.measured) c.outcomes[OUTCOME_INDEX[outcome]]!++;
      return;
    }
    const a = req.ticket.okAttempt!;
    // An answer a judge held reaches the client whole, when the judge released it.
    const released = req.ticket.releaseMs;
    const held = !Number.isNaN(released);
    const ttft = (held ? released : a.firstTokenMs) - work.arrivalMs;
    const e2e = (held ? released : a.endMs) - work.arrivalMs;
    const out = a.outputTokens;
    const streamed = !held && out > 1 && a.tokenIntervalMs > 0;
    const tpot = streamed ? (e2e - ttft) / (out - 1) : Number.NaN;
    const slo = c.slo;
    const good = !(ttft > slo.ttftMs) && !(e2e > slo.e2eMs) && !(tpot > slo.tpotMs);
    const cells = this.cells;
    const cell = c.cell;
    cells[COMPLETED]!++;
    cells[cell + C_COMPLETED]!++;
    // Each value goes to two resolutions (window and class): its float is taken apart once.
    const ttftHigh = highWord(ttft);
    const e2eHigh = highWord(e2e);
    c.windowLatency.record(ttft, ttftHigh, e2e, e2eHigh);
    if (good) {
      cells[GOODPUT]!++;
      cells[cell + C_GOODPUT]!++;
      c.goodputByArrival.increment(this.window(work.arrivalMs));
    }
    const acceptable = this.quality?.acceptable(work, a.providerIndex) === true;
    if (acceptable) {
      cells[ACCEPTABLE]!++;
      cells[cell + C_ACCEPTABLE]!++;
      const w = this.window(work.arrivalMs);
      this.acceptableByArrival.increment(w);
      c.acceptableByArrival.increment(w);
      if (good) {
        cells[QUALITY_GOODPUT]!++;
        cells[cell + C_QUALITY_GOODPUT]!++;
      }
    }
    if (work.measured === false) return;
    c.outcomes[OK]!++;
    if (good) c.goodput++;
    if (acceptable) {
      c.acceptable++;
      if (good) c.qualityGoodput++;
    }
    c.latency.record(ttft, ttftHigh, e2e, e2eHigh);
    c.queueWait.recordOne(req.ticket.gatewayWaitMs + (a.serviceStartMs - a.startMs));
    // TPOT and ITL exist only for streamed responses (a queue server answers whole).
    if (streamed) {
      c.tpot.recordOne(tpot);
      c.itl.record(a.tokenIntervalMs, out - 1);
    }
  }

  /** Closes every window that ended at or before `nowMs`: gauges and per-window percentiles. */
  closeWindowsUntil(nowMs: number, gauges: GaugeSource): void {
    const upTo = this.window(nowMs);
    while (this.windows < upTo) this.closeWindow(this.windows++, gauges);
  }

  /** Closes the window containing `nowMs` (end of run), partial or holding only that instant. */
  closeFinalWindow(nowMs: number, gauges: GaugeSource): void {
    this.closeWindowsUntil(nowMs, gauges);
    this.closeWindow(this.windows++, gauges);
  }

  private closeWindow(w: number, gauges: GaugeSource): void {
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[i]!;
      const input = p.windowInputTokens.value;
      p.seriesCachedShare.set(w, input > 0 ? p.windowCachedTokens.value / input : Number.NaN);
      p.seriesOffloadShare.set(w, input > 0 ? p.windowOffloadedTokens.value / input : Number.NaN);
      p.seriesInService.set(w, gauges.providerInService(i));
      p.seriesQueued.set(w, gauges.providerQueued(i));
      const kv = gauges.providerKvUsage(i);
      if (kv !== undefined) {
        p.hasKvUsage = true;
        p.seriesKvUsage.set(w, kv);
      }
      const replicas = gauges.providerReplicas?.(i);
      if (replicas !== undefined) {
        p.hasReplicas = true;
        p.seriesReplicasDesired.set(w, replicas.desired);
        p.seriesReplicasStarting.set(w, replicas.starting);
        p.seriesReplicasReady.set(w, replicas.ready);
        p.seriesFleetCostUsd.set(w, replicas.fleetCostUsd);
        if (replicas.nodesRequested !== undefined) {
          p.hasNodes = true;
          p.seriesNodesRequested.set(w, replicas.nodesRequested);
          p.seriesNodesProvisioning.set(w, replicas.nodesProvisioning ?? 0);
          p.seriesNodesReady.set(w, replicas.nodesReady ?? 0);
        }
      }
    }
    this.gatewayInFlight.set(w, gauges.gatewayInFlight());
    this.gatewayQueued.set(w, gauges.gatewayQueued());
    this.liveRequests.set(w, gauges.liveRequests());
    this.liveSessions.set(w, gauges.liveSessions());
    // After the shares above, which read the window's token counts.
    this.counts.close(w);
    for (const c of this.classes) {
      const window = c.windowLatency;
      c.seriesTtftP50.set(w, window.ttft.quantile(0.5));
      c.seriesTtftP99.set(w, window.ttft.quantile(0.99));
      c.seriesE2eP50.set(w, window.e2e.quantile(0.5));
      c.seriesE2eP99.set(w, window.e2e.quantile(0.99));
      window.reset();
    }
  }
}
