/**
 * Builds the run-result JSON (types in result-types.ts) from a finished run's recorder: counts,
 * latency summaries, cost, time series, and the SLO and recovery verdicts.
 */

import { LogHistogram, roundTo, summarize } from '../engine/histogram.ts';
import type { LuckMode } from '../engine/luck.ts';
import type { PrefixCacheCounts, PrefixCacheStats } from '../providers/provider.ts';
import type { Scenario } from '../scenario/schema.ts';
import { OUTCOMES } from '../workload/request.ts';
import { ATTEMPT_STATUSES, type ClassMetrics, type Recorder } from './recorder.ts';
import { evaluateRecovery } from './recovery.ts';
import {
  type ClassResult,
  type CostBlock,
  type LatencyBlock,
  type PrefixCacheResult,
  type PrefixCacheTokens,
  type ProviderResult,
  type QualityBlock,
  type RequestCounts,
  RUN_RESULT_SCHEMA,
  type RunResult,
  type SessionBlock,
  type TimeSeriesBlock,
} from './result-types.ts';
import { evaluateSlos } from './slo.ts';
import type { Series } from './timeseries.ts';

interface BuildInput {
  scenario: Scenario;
  file: string;
  seed: number;
  /** Given when the traffic's streams had their own seed. */
  trafficSeed?: number;
  /** Given when not the default (`arrival`). */
  luck?: LuckMode;
  recorder: Recorder;
  endMs: number;
  events: number;
  utilization: Record<string, number>;
  kinds: Record<string, string>;
  details: Record<string, Record<string, number | string> | undefined>;
  /** Prefix-cache tokens per provider (GPU pools with prefix caching); absent entries: none. */
  prefixCaches?: Record<string, PrefixCacheStats | undefined>;
  /** Concurrent capacity per provider (servers, slots, replicas), for the saturation check. */
  capacities: Record<string, number>;
}

/** A self-hosted pool's fleet cost from its provider details (0 for other kinds). */
export function fleetCostUsd(details: Record<string, number | string> | undefined): number {
  const v = details?.['fleetCostUsd'];
  return typeof v === 'number' ? v : 0;
}

export function buildResult(input: BuildInput): RunResult {
  const { scenario, recorder } = input;
  const measuredSec = Math.max(1e-9, (scenario.duration - scenario.warmup) / 1000);
  const classes: Record<string, ClassResult> = {};
  recorder.classes.forEach((c, i) => {
    classes[c.name] = {
      requests: counts([c], measuredSec),
      rejections: recorder.rejections.summary([i]),
      latency: latency([c]),
      cost: cost([c]),
    };
    if (c.sessionsStarted > 0) classes[c.name]!.sessions = sessions([c]);
    if (recorder.quality) classes[c.name]!.quality = quality([c], measuredSec);
  });
  const providers: Record<string, ProviderResult> = {};
  for (const p of recorder.providers) {
    providers[p.name] = {
      kind: input.kinds[p.name] ?? 'unknown',
      attempts: p.attempts,
      statuses: Object.fromEntries(
        ATTEMPT_STATUSES.map((s, i) => [s, p.statuses[i]!]).filter(([, n]) => n !== 0),
      ),
      queueWait: summarize(p.queueWait),
      serviceTime: summarize(p.serviceTime),
      ttft: summarize(p.ttft),
      utilization: roundTo(input.utilization[p.name] ?? 0, 6),
      inputTokens: p.inputTokens,
      cachedInputTokens: p.cachedInputTokens,
      outputTokens: p.outputTokens,
      costUsd: roundTo(p.costUsd, 6),
      ...prefixCacheBlock(input.prefixCaches?.[p.name]),
      ...(input.details[p.name] ? { details: input.details[p.name] } : {}),
    };
  }
  const result: Omit<RunResult, 'slos' | 'pass' | 'recovery'> = {
    schema: RUN_RESULT_SCHEMA,
    scenario: { name: scenario.name, description: scenario.description ?? null, file: input.file },
    seed: input.seed,
    ...(input.trafficSeed !== undefined && input.trafficSeed !== input.seed
      ? { trafficSeed: input.trafficSeed }
      : {}),
    ...(input.luck !== undefined && input.luck !== 'arrival' ? { luck: input.luck } : {}),
    durationMs: scenario.duration,
    warmupMs: scenario.warmup,
    endMs: roundTo(input.endMs, 3),
    events: input.events,
    requests: counts(recorder.classes, measuredSec),
    rejections: recorder.rejections.summary(),
    latency: latency(recorder.classes),
    cost: {
      ...cost(recorder.classes),
      fleetUsd: roundTo(
        Object.values(input.details).reduce((a, d) => a + fleetCostUsd(d), 0),
        6,
      ),
    },
    classes,
    ...(recorder.classes.some((c) => c.sessionsStarted > 0)
      ? { sessions: sessions(recorder.classes.filter((c) => c.sessionsStarted > 0)) }
      : {}),
    ...(recorder.quality ? { quality: quality(recorder.classes, measuredSec) } : {}),
    providers,
    timeseries: timeseries(recorder),
  };
  const slos = evaluateSlos(scenario.slos, result);
  const recovery = evaluateRecovery(scenario, result.timeseries, input.capacities);
  return {
    ...result,
    slos,
    ...(recovery ? { recovery } : {}),
    pass: slos.every((s) => s.pass) && (recovery?.pass ?? true),
  };
}

function counts(cs: readonly ClassMetrics[], measuredSec: number): RequestCounts {
  const sum = (f: (c: ClassMetrics) => number) => cs.reduce((a, c) => a + f(c), 0);
  const offered = sum((c) => c.offered);
  const terminal = sum((c) => OUTCOMES.reduce((a, o) => a + c.count(o), 0));
  const attempts = sum((c) => c.attempts);
  const goodput = sum((c) => c.goodput);
  const share = (n: number) => (offered > 0 ? roundTo(n / offered, 6) : 0);
  const failed = sum((c) => c.count('failed'));
  const timedOut = sum((c) => c.count('timed_out'));
  const rateLimited = sum((c) => c.count('rate_limited'));
  const shed = sum((c) => c.count('shed'));
  const completed = sum((c) => c.count('ok'));
  const cancelled = sum((c) => c.count('cancelled'));
  return {
    offered,
    completed,
    shed,
    rateLimited,
    failed,
    timedOut,
    abandoned: sum((c) => c.count('abandoned')),
    cancelled,
    unfinished: offered - terminal,
    attempts,
    clientRetries: sum((c) => c.clientRetries),
    gatewayRetries: sum((c) => c.gatewayRetries),
    retriesDenied: sum((c) => c.retriesDenied),
    hedges: sum((c) => c.hedges),
    amplification: offered > 0 ? roundTo(attempts / offered, 6) : 0,
    goodput,
    goodputPerSec: roundTo(goodput / measuredSec, 6),
    goodputShare: share(goodput),
    completedShare: share(completed),
    errorShare: share(failed + timedOut + rateLimited),
    shedShare: share(shed),
    timeoutShare: share(timedOut),
    rateLimitedShare: share(rateLimited),
    cancelledShare: share(cancelled),
  };
}

function sessions(cs: readonly ClassMetrics[]): SessionBlock {
  const sum = (f: (c: ClassMetrics) => number) => cs.reduce((a, c) => a + f(c), 0);
  const started = sum((c) => c.sessionsStarted);
  const completed = sum((c) => c.sessionsCompleted);
  const aborted = sum((c) => c.sessionsAborted);
  const ended = Math.max(1, completed + aborted);
  const h = new LogHistogram();
  for (const c of cs) h.merge(c.sessionDuration);
  return {
    started,
    completed,
    aborted,
    unfinished: started - completed - aborted,
    successShare: started > 0 ? roundTo(completed / started, 6) : 0,
    duration: summarize(h),
    callsPerSession: roundTo(sum((c) => c.sessionCalls) / ended, 4),
    inputTokensPerSession: roundTo(sum((c) => c.sessionInputTokens) / ended, 2),
    outputTokensPerSession: roundTo(sum((c) => c.sessionOutputTokens) / ended, 2),
    costPerSessionUsd: roundTo(sum((c) => c.sessionCostUsd) / ended, 9),
  };
}

function quality(cs: readonly ClassMetrics[], measuredSec: number): QualityBlock {
  const sum = (f: (c: ClassMetrics) => number) => cs.reduce((a, c) => a + f(c), 0);
  const offered = sum((c) => c.offered);
  const acceptable = sum((c) => c.acceptable);
  const good = sum((c) => c.qualityGoodput);
  const costUsd = sum((c) => c.costUsd);
  const share = (n: number) => (offered > 0 ? roundTo(n / offered, 6) : 0);
  return {
    acceptable,
    acceptableShare: share(acceptable),
    qualityGoodput: good,
    qualityGoodputPerSec: roundTo(good / measuredSec, 6),
    qualityGoodputShare: share(good),
    costPerAcceptableUsd: acceptable > 0 ? roundTo(costUsd / acceptable, 9) : null,
    routerCalls: sum((c) => c.routerCalls),
    routerCostUsd: roundTo(
      sum((c) => c.routerCostUsd),
      6,
    ),
    escalations: sum((c) => c.escalations),
  };
}

function latency(cs: readonly ClassMetrics[]): LatencyBlock {
  const merged = (pick: (c: ClassMetrics) => LogHistogram) => {
    if (cs.length === 1) return summarize(pick(cs[0]!));
    const h = new LogHistogram();
    for (const c of cs) h.merge(pick(c));
    return summarize(h);
  };
  return {
    ttft: merged((c) => c.ttft),
    tpot: merged((c) => c.tpot),
    itl: merged((c) => c.itl),
    e2e: merged((c) => c.e2e),
    queueWait: merged((c) => c.queueWait),
  };
}

function cost(cs: readonly ClassMetrics[]): CostBlock {
  const total = cs.reduce((a, c) => a + c.costUsd, 0);
  const offered = cs.reduce((a, c) => a + c.offered, 0);
  const routerCalls = cs.reduce((a, c) => a + c.routerCalls, 0);
  return {
    totalUsd: roundTo(total, 6),
    ...(routerCalls > 0
      ? {
          routerUsd: roundTo(
            cs.reduce((a, c) => a + c.routerCostUsd, 0),
            6,
          ),
        }
      : {}),
    perRequestUsd: offered > 0 ? roundTo(total / offered, 9) : 0,
    inputTokens: cs.reduce((a, c) => a + c.inputTokens, 0),
    outputTokens: cs.reduce((a, c) => a + c.outputTokens, 0),
    cachedInputTokens: cs.reduce((a, c) => a + c.cachedInputTokens, 0),
    wastedOutputTokens: cs.reduce((a, c) => a + c.wastedOutputTokens, 0),
    wastedUsd: roundTo(
      cs.reduce((a, c) => a + c.wastedCostUsd, 0),
      6,
    ),
  };
}

function timeseries(r: Recorder): TimeSeriesBlock {
  const n = r.windows;
  const providers: TimeSeriesBlock['providers'] = {};
  for (const p of r.providers) {
    providers[p.name] = {
      attempts: p.windowAttempts.series.toArray(n),
      errors: p.windowErrors.series.toArray(n),
      inService: p.seriesInService.toArray(n),
      queued: p.seriesQueued.toArray(n),
      ...(p.hasKvUsage ? { kvUsage: p.seriesKvUsage.toArray(n, 4) } : {}),
      ...(p.hasCachedTokens ? { cachedShare: p.seriesCachedShare.toArray(n, 4) } : {}),
      ...(p.hasOffloadedTokens ? { offloadShare: p.seriesOffloadShare.toArray(n, 4) } : {}),
      ...(p.hasReplicas
        ? {
            replicasDesired: p.seriesReplicasDesired.toArray(n),
            replicasStarting: p.seriesReplicasStarting.toArray(n),
            replicasReady: p.seriesReplicasReady.toArray(n),
            fleetCostUsd: p.seriesFleetCostUsd.toArray(n),
          }
        : {}),
      ...(p.hasNodes
        ? {
            nodesRequested: p.seriesNodesRequested.toArray(n),
            nodesProvisioning: p.seriesNodesProvisioning.toArray(n),
            nodesReady: p.seriesNodesReady.toArray(n),
          }
        : {}),
    };
  }
  const classes: TimeSeriesBlock['classes'] = {};
  for (const c of r.classes) {
    classes[c.name] = {
      offered: c.windowOffered.series.toArray(n),
      completed: c.windowCompleted.series.toArray(n),
      goodput: c.windowGoodput.series.toArray(n),
      goodputByArrival: c.goodputByArrival.toArray(n),
      ttftP50: c.seriesTtftP50.toArray(n, 3),
      ttftP99: c.seriesTtftP99.toArray(n, 3),
      e2eP50: c.seriesE2eP50.toArray(n, 3),
      e2eP99: c.seriesE2eP99.toArray(n, 3),
      ...(r.quality
        ? {
            acceptable: c.windowAcceptable.series.toArray(n),
            qualityGoodput: c.windowQualityGoodput.series.toArray(n),
            acceptableShare: shareByWindow(c.acceptableByArrival, c.windowOffered.series, n),
          }
        : {}),
    };
  }
  return {
    intervalMs: r.intervalMs,
    startMs: Array.from({ length: n }, (_, i) => i * r.intervalMs),
    offered: r.offered.series.toArray(n),
    admitted: r.admittedCount.series.toArray(n),
    completed: r.completed.series.toArray(n),
    goodput: r.goodput.series.toArray(n),
    attempts: r.attempts.series.toArray(n),
    shed: r.outcomes.shed.series.toArray(n),
    rateLimited: r.outcomes.rate_limited.series.toArray(n),
    failed: r.outcomes.failed.series.toArray(n),
    timedOut: r.outcomes.timed_out.series.toArray(n),
    abandoned: r.outcomes.abandoned.series.toArray(n),
    cancelled: r.outcomes.cancelled.series.toArray(n),
    costUsd: r.costUsd.series.toArray(n, 9),
    gatewayInFlight: r.gatewayInFlight.toArray(n),
    gatewayQueued: r.gatewayQueued.toArray(n),
    liveRequests: r.liveRequests.toArray(n),
    sessionsInProgress: r.liveSessions.toArray(n),
    providers,
    classes,
    ...(r.quality
      ? {
          acceptable: r.acceptable.series.toArray(n),
          qualityGoodput: r.qualityGoodput.series.toArray(n),
          acceptableShare: shareByWindow(r.acceptableByArrival, r.offered.series, n),
        }
      : {}),
  };
}

/** The result's `prefixCache` entry for a provider's cache tokens (nothing without caches). */
function prefixCacheBlock(stats: PrefixCacheStats | undefined): { prefixCache?: PrefixCacheResult } {
  if (!stats) return {};
  const rate = (part: number, whole: number) => (whole > 0 ? roundTo(part / whole, 6) : 0);
  const tokens = (c: PrefixCacheCounts): PrefixCacheTokens => ({
    promptTokens: c.promptTokens,
    cachedTokens: c.cachedTokens,
    tokenHitRate: rate(c.cachedTokens, c.promptTokens),
    ...(c.offloadedTokens !== undefined
      ? {
          offloadedTokens: c.offloadedTokens,
          offloadHitRate: rate(c.offloadedTokens, c.promptTokens),
          offloadLoads: c.offloadLoads ?? 0,
          offloadTransferMs: roundTo(c.offloadTransferMs ?? 0, 3),
        }
      : {}),
  });
  return { prefixCache: { ...tokens(stats), replicas: stats.replicas.map(tokens) } };
}

/** Per window, `part` over `whole` (null where nothing arrived). */
function shareByWindow(part: Series, whole: Series, n: number): (number | null)[] {
  const num = part.toArray(n, 12);
  const den = whole.toArray(n, 12);
  return num.map((x, i) => {
    const d = den[i] ?? 0;
    return d > 0 && x !== null ? roundTo(x / d, 6) : null;
  });
}
