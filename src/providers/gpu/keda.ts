/**
 * KEDA (a ScaledObject) in front of one GPU pool (`autoscaling.kind: keda`). KEDA scales in two
 * phases (https://keda.sh/docs/2.15/concepts/scaling-deployments/#activating-and-scaling-thresholds):
 * - activation, 0 <-> 1, by KEDA's operator: every `pollingInterval` (30 s) it checks the trigger;
 *   active while the metric is above `activationTarget` (strictly; default 0), always with min >= 1.
 *   A scale of 0 that turns active goes to max(min, 1); an inactive one with min 0 goes to 0 once
 *   `cooldownPeriod` (300 s) has passed since the trigger was last active (or, never active,
 *   `initialCooldownPeriod` (0 s) since the start);
 * - scaling, 1 <-> N, by the HPA KEDA creates (minReplicas max(min, 1)): KEDA serves the metric as
 *   an External metric with an AverageValue target, so desired = ceil(total / target) (hpa.ts
 *   replicasForTotal), stabilized and limited as any HPA (autoscaler.ts), every `syncPeriod`.
 * The trigger's metric is the pool's total of the chosen gauge over ready replicas, plus, for
 * `waiting` and `inFlight`, the requests held in front of a pool with no ready replica
 * (cold-start-hold.ts), which is what lets a pool at zero see demand; for `requestRate`, every
 * request the pool received per second since the previous scrape (held or refused ones too).
 * Defaults: https://keda.sh/docs/2.15/reference/scaledobject-spec/
 *
 * `idleReplicaCount` (scaledobject-spec#idlereplicacount; KEDA's executor, scale_scaledobjects.go):
 * with no trigger active the operator scales to it once the cooldown has passed, and an active
 * trigger below `min` goes straight to `min`; KEDA supports only 0, below minReplicaCount.
 *
 * `fallback` (scaledobject-spec#fallback; pkg/fallback/fallback.go): KEDA counts the reads of the
 * trigger's source that failed in a row (a `metrics-outage` fault fails every read in its window;
 * both KEDA's polls and the HPA's syncs read it) and resets the count at the first read that
 * succeeds. Once the count passes `failureThreshold` (fallback.go: failures > threshold), the read
 * the HPA makes returns target x `replicas` instead of an error, so the HPA (its behavior applies)
 * goes to `replicas`. Before that, or without a fallback, the HPA cannot read its metric and keeps
 * the scale. For KEDA's operator an erroring trigger is not active, so a min-0 (or idle) pool still
 * scales down after the cooldown, and a pool at zero gets no fallback (the HPA is off at zero).
 * This is KEDA 2.17 on: before it the operator also set `replicas` at the first failed poll
 * (kedacore/keda#6053, fixed by #6520); the zero case is kedacore/keda#7411.
 */
import type { AutoscalingConfig } from '../../scenario/schema.ts';
import { PoolAutoscaler, type Scrape } from './autoscaler.ts';
import { replicasForTotal } from './hpa.ts';

/** KEDA's ScaledObject defaults (scaledobject-spec: pollingInterval, cooldownPeriod, initialCooldownPeriod, activation). */
export const KEDA_DEFAULTS = {
  pollingIntervalMs: 30_000,
  cooldownPeriodMs: 300_000,
  initialCooldownPeriodMs: 0,
  activationTarget: 0,
} as const;

/**
 * Whether the trigger is active: the metric strictly above the activation target ("activationThreshold: 0
 * will only activate when the metric value is 1 or more"); with min >= 1 always ("the scaler is always
 * active and the activation value will be ignored").
 */
export function kedaActive(
  value: number,
  activationTarget: number,
  minReplicas: number,
  idleReplicas?: number,
): boolean {
  // With idleReplicaCount, inactivity is what scales to it: the activation target counts.
  return (minReplicas >= 1 && idleReplicas === undefined) || value > activationTarget;
}

export interface KedaPoll {
  current: number;
  active: boolean;
  nowMs: number;
  /** When the trigger was last active (undefined: never yet). */
  lastActiveMs: number | undefined;
  min: number;
  cooldownMs: number;
  initialCooldownMs: number;
  /** idleReplicaCount (undefined: none). */
  idle?: number;
}

/**
 * The scale KEDA's operator sets at a poll, or undefined when it leaves the scale to the HPA:
 * from 0 (or, with an idle count, from below min) to max(min, 1) when active; when inactive, to
 * the idle count (above it), or to 0 with min 0, once the cooldown is over (last active +
 * cooldown before now; never active: start + initial cooldown before now).
 */
export function kedaScale(p: KedaPoll): number | undefined {
  const idle = p.idle;
  if (p.active) {
    const wake = p.current === 0 || (idle !== undefined && p.current < p.min);
    return wake ? Math.max(1, p.min) : undefined;
  }
  const down = idle !== undefined ? p.current > idle : p.current > 0 && p.min === 0;
  if (!down) return undefined;
  const cooledAt = p.lastActiveMs === undefined ? p.initialCooldownMs : p.lastActiveMs + p.cooldownMs;
  return cooledAt < p.nowMs ? (idle ?? 0) : undefined;
}

/**
 * The trigger's value on a failed read (fallback.go): target x fallback replicas once more than
 * `failureThreshold` reads in a row failed, else undefined (an error: no value).
 */
export function kedaFallbackValue(
  failures: number,
  fallback: { failureThreshold: number; replicas: number } | undefined,
  target: number,
): number | undefined {
  return fallback && failures > fallback.failureThreshold ? target * fallback.replicas : undefined;
}

export class KedaAutoscaler extends PoolAutoscaler {
  private lastActiveMs: number | undefined;
  /** Reads of the trigger's source that failed in a row. */
  failures = 0;

  /** A read of the trigger's source now: false when it fails (a metrics outage), counted as KEDA does. */
  private sourceAnswers(): boolean {
    if (!this.pool.faults.metricsDown) {
      this.failures = 0;
      return true;
    }
    this.failures++;
    return false;
  }

  /** Starts the HPA's scrapes and syncs, and KEDA's polls (the first now). */
  override start(): void {
    super.start();
    this.poll();
  }

  private readonly poll = () => {
    const now = this.scheduler.now();
    this.scheduler.afterDaemon(pollingIntervalMs(this.config), this.poll, undefined);
    const c = this.config;
    let active = false; // a trigger whose source fails is not active
    if (this.sourceAnswers()) {
      const scrape = this.visibleScrape(now);
      if (!scrape) return; // the trigger's source has nothing yet: KEDA keeps the scale
      active = kedaActive(
        this.total(scrape),
        c.activationTarget ?? KEDA_DEFAULTS.activationTarget,
        c.min,
        c.idleReplicaCount,
      );
    }
    if (active) this.lastActiveMs = now;
    const next = kedaScale({
      current: this.desired,
      active,
      nowMs: now,
      lastActiveMs: this.lastActiveMs,
      min: c.min,
      cooldownMs: c.cooldownPeriod ?? KEDA_DEFAULTS.cooldownPeriodMs,
      initialCooldownMs: c.initialCooldownPeriod ?? KEDA_DEFAULTS.initialCooldownPeriodMs,
      ...(c.idleReplicaCount !== undefined ? { idle: c.idleReplicaCount } : {}),
    });
    if (next === undefined || next === this.desired) return;
    this.desired = next;
    this.scaleTo(next);
  };

  /** The trigger's value: the gauge's total, with the requests held at a cold pool for queue gauges. */
  private total(scrape: Scrape): number {
    if (this.config.metric === 'requestRate') return scrape.rate; // every request the pool got, served or not
    let sum = 0;
    for (const v of scrape.values) sum += v;
    const queues = this.config.metric === 'waiting' || this.config.metric === 'inFlight';
    return queues ? sum + scrape.held : sum;
  }

  protected override recommend(current: number, scrape: Scrape): number {
    const c = this.config;
    if (!this.sourceAnswers()) {
      const value = kedaFallbackValue(this.failures, c.fallback, c.target);
      // No value: the HPA cannot compute a scale and keeps the one it has.
      return value === undefined ? current : replicasForTotal(current, value, c.target, c.tolerance);
    }
    return replicasForTotal(current, this.total(scrape), c.target, c.tolerance);
  }

  protected override hpaMin(): number {
    return Math.max(1, this.config.min);
  }
}

function pollingIntervalMs(c: AutoscalingConfig): number {
  return c.pollingInterval ?? KEDA_DEFAULTS.pollingIntervalMs;
}
