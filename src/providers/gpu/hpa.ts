/**
 * The Kubernetes HorizontalPodAutoscaler's arithmetic (autoscaling/v2), as pure functions:
 * - the replica count a Pods metric asks for (pkg/controller/podautoscaler/replica_calculator.go,
 *   calcPlainMetricReplicas): desired = ceil(ready x average / target), no change within the
 *   tolerance; replicas without a metric yet (not ready) count as using nothing when scaling up
 *   and as at target when scaling down, and a change they reverse is dropped;
 * - stabilization (horizontal.go, stabilizeRecommendationWithBehaviors): scale down to no fewer
 *   than the highest recommendation within the scale-down window, up to no more than the lowest
 *   within the scale-up window;
 * - behavior policies (calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors):
 *   the change per period in pods or percent of the replicas at the period's start, the largest
 *   change of all policies with selectPolicy Max (the default), the smallest with Min;
 * - min and max replicas;
 * - an External metric's total against an AverageValue target (replicasForTotal), as KEDA feeds it.
 * Docs: https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
 */

export interface ScalingPolicy {
  type: 'pods' | 'percent';
  value: number;
  periodMs: number;
}

export interface ScalingRules {
  stabilizationWindowMs: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: readonly ScalingPolicy[];
}

/** A change of the replica count, kept for the policies' periods. */
export interface ScaleEvent {
  atMs: number;
  /** Replicas added (> 0) or removed (< 0). */
  change: number;
}

/** A recommendation, kept for the stabilization windows. */
export interface Recommendation {
  atMs: number;
  replicas: number;
}

/**
 * The replicas a per-replica metric asks for. `values` are the metric of the replicas that report
 * it; `missing` replicas belong to the scale (`current`) but report nothing yet.
 */
export function replicasForMetric(
  current: number,
  values: readonly number[],
  missing: number,
  target: number,
  tolerance: number,
): number {
  if (values.length === 0) return current; // no metrics: HPA keeps the scale as it is
  const sum = values.reduce((a, v) => a + v, 0);
  const usageRatio = sum / values.length / target;
  if (missing === 0) {
    if (Math.abs(1 - usageRatio) <= tolerance) return current;
    return Math.ceil(usageRatio * values.length);
  }
  // Missing metrics: at target when scaling down, nothing when scaling up.
  const filled = usageRatio < 1 ? sum + missing * target : sum;
  const n = values.length + missing;
  const newRatio = filled / n / target;
  if (
    Math.abs(1 - newRatio) <= tolerance ||
    (usageRatio < 1 && newRatio > 1) ||
    (usageRatio > 1 && newRatio < 1)
  )
    return current;
  const replicas = Math.ceil(newRatio * n);
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current;
  return replicas;
}

/**
 * The replicas an External metric with an AverageValue target asks for (as KEDA's metrics are;
 * replica_calculator.go, GetExternalPerPodMetricReplicas): the metric is a total over the scale,
 * desired = ceil(total / target), no change while total / (target x current) is within the tolerance.
 */
export function replicasForTotal(current: number, total: number, target: number, tolerance: number): number {
  const usageRatio = total / (target * current);
  if (Math.abs(1 - usageRatio) <= tolerance) return current;
  return Math.ceil(total / target);
}

/**
 * Stabilizes `desired` against the recommendations within the windows (including itself): the
 * count moves from `current` no further down than the window's highest, no further up than its lowest.
 */
export function stabilize(
  current: number,
  desired: number,
  history: readonly Recommendation[],
  nowMs: number,
  up: ScalingRules,
  down: ScalingRules,
): number {
  let upRec = desired;
  let downRec = desired;
  for (const r of history) {
    if (r.atMs > nowMs - up.stabilizationWindowMs) upRec = Math.min(upRec, r.replicas);
    if (r.atMs > nowMs - down.stabilizationWindowMs) downRec = Math.max(downRec, r.replicas);
  }
  let rec = current;
  if (rec < upRec) rec = upRec;
  if (rec > downRec) rec = downRec;
  return rec;
}

/** Replicas added (or, negative, removed) within `periodMs` before `nowMs`. */
function changeWithin(events: readonly ScaleEvent[], periodMs: number, nowMs: number, sign: 1 | -1): number {
  let n = 0;
  for (const e of events) if (e.atMs > nowMs - periodMs && Math.sign(e.change) === sign) n += e.change;
  return n;
}

/** The most replicas the scale-up rules allow now. */
export function scaleUpLimit(
  current: number,
  events: readonly ScaleEvent[],
  nowMs: number,
  rules: ScalingRules,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const p of rules.policies) {
    const start =
      current - changeWithin(events, p.periodMs, nowMs, 1) - changeWithin(events, p.periodMs, nowMs, -1);
    const proposed = p.type === 'pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** The fewest replicas the scale-down rules allow now. */
export function scaleDownLimit(
  current: number,
  events: readonly ScaleEvent[],
  nowMs: number,
  rules: ScalingRules,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  // Max change down is the lowest count: the opposite pick of scaling up.
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const p of rules.policies) {
    const start =
      current - changeWithin(events, p.periodMs, nowMs, 1) - changeWithin(events, p.periodMs, nowMs, -1);
    const proposed = p.type === 'pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** Limits a stabilized recommendation by the behavior policies and the min and max replicas. */
export function normalize(
  current: number,
  desired: number,
  events: readonly ScaleEvent[],
  nowMs: number,
  bounds: { min: number; max: number; up: ScalingRules; down: ScalingRules },
): number {
  if (desired > current) {
    const limit = Math.min(bounds.max, Math.max(current, scaleUpLimit(current, events, nowMs, bounds.up)));
    return Math.max(bounds.min, Math.min(desired, limit));
  }
  if (desired < current) {
    const limit = Math.max(
      bounds.min,
      Math.min(current, scaleDownLimit(current, events, nowMs, bounds.down)),
    );
    return Math.min(bounds.max, Math.max(desired, limit));
  }
  return Math.max(bounds.min, Math.min(bounds.max, desired));
}
