/**
 * SLO verdicts: each scenario SLO checked against the run result. A verdict is data, e.g.
 * { name: 'chat ttft.p99 <= 500ms', metric: 'ttft.p99', class: 'chat', bound: 'max',
 *   threshold: 500, observed: 412.5, pass: true }. A metric with no data (no completions to
 * take a percentile of) fails: an SLO nobody could measure is not met. Quality SLOs
 * (`acceptableShare`, `qualityGoodputShare`, `costPerAcceptableUsd`) read the quality block.
 */

import type { LatencySummary } from '../engine/histogram.ts';
import type { SloConfig } from '../scenario/schema.ts';
import type { RunResult } from './result-types.ts';

export interface SloVerdict {
  name: string;
  metric: string;
  class: string | null;
  bound: 'max' | 'min';
  /** In the metric's unit: ms for latencies, a fraction for shares, USD for costs. */
  threshold: number;
  observed: number | null;
  pass: boolean;
}

const STAT_KEY: Record<string, keyof LatencySummary> = {
  p50: 'p50',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
  'p99.9': 'p999',
  mean: 'mean',
  max: 'max',
};

export function evaluateSlos(
  slos: readonly SloConfig[],
  result: Omit<RunResult, 'slos' | 'pass'>,
): SloVerdict[] {
  return slos.map((slo) => {
    const scope = slo.class !== undefined ? result.classes[slo.class] : result;
    const observed = scope ? observe(slo.metric, scope) : null;
    const pass =
      observed !== null && (slo.bound === 'max' ? observed <= slo.threshold : observed >= slo.threshold);
    return {
      name: slo.name,
      metric: slo.metric,
      class: slo.class ?? null,
      bound: slo.bound,
      threshold: slo.threshold,
      observed,
      pass,
    };
  });
}

function observe(
  metric: string,
  scope: Pick<RunResult, 'requests' | 'latency' | 'cost' | 'quality'>,
): number | null {
  const dot = metric.indexOf('.');
  if (dot > 0) {
    const family = metric.slice(0, dot) as keyof RunResult['latency'];
    const stat = STAT_KEY[metric.slice(dot + 1)]!;
    const value = scope.latency[family][stat];
    return typeof value === 'number' ? value : null;
  }
  switch (metric) {
    case 'amplification':
      return scope.requests.amplification;
    case 'costUsd':
      return scope.cost.totalUsd;
    case 'costPerRequestUsd':
      return scope.cost.perRequestUsd;
    // Quality SLOs (the scenario has a quality section, or validation refused them).
    case 'acceptableShare':
      return scope.quality?.acceptableShare ?? null;
    case 'qualityGoodputShare':
      return scope.quality?.qualityGoodputShare ?? null;
    case 'costPerAcceptableUsd':
      return scope.quality?.costPerAcceptableUsd ?? null;
    default:
      return (scope.requests as unknown as Record<string, number>)[metric] ?? null;
  }
}
