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
export function kedaActive(value: number, activationTarget: number, minReplicas: number): boolean {
  return minReplicas >= 1 || value > activationTarget;
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
}

/**
 * The scale KEDA's operator sets at a poll, or undefined when it leaves the scale to the HPA:
 * from 0 to max(min, 1) when active; to 0 when inactive with min 0 and the cooldown over
 * (last active + cooldown before now; never active: start + initial cooldown before now).
 */
export function kedaScale(p: KedaPoll): number | undefined {
  if (p.current === 0) return p.active ? Math.max(1, p.min) : undefined;
  if (p.active || p.min > 0) return undefined;
  const cooledAt = p.lastActiveMs === undefined ? p.initialCooldownMs : p.lastActiveMs + p.cooldownMs;
  return cooledAt < p.nowMs ? 0 : undefined;
}

export class KedaAutoscaler extends PoolAutoscaler {
  private lastActiveMs: number | undefined;

  /** Starts the HPA's scrapes and syncs, and KEDA's polls (the first now). */
  override start(): void {
    super.start();
    this.poll();
  }

  private readonly poll = () => {
    const now = this.scheduler.now();
    this.scheduler.after(pollingIntervalMs(this.config), this.poll, undefined);
    const scrape = this.visibleScrape(now);
    if (!scrape) return; // the trigger's source has nothing yet: KEDA keeps the scale
    const c = this.config;
    const active = kedaActive(
      this.total(scrape),
      c.activationTarget ?? KEDA_DEFAULTS.activationTarget,
      c.min,
    );
    if (active) this.lastActiveMs = now;
    const next = kedaScale({
      current: this.desired,
      active,
      nowMs: now,
      lastActiveMs: this.lastActiveMs,
      min: c.min,
      cooldownMs: c.cooldownPeriod ?? KEDA_DEFAULTS.cooldownPeriodMs,
      initialCooldownMs: c.initialCooldownPeriod ?? KEDA_DEFAULTS.initialCooldownPeriodMs,
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
    return replicasForTotal(current, this.total(scrape), this.config.target, this.config.tolerance);
  }

  protected override hpaMin(): number {
    return Math.max(1, this.config.min);
  }
}

function pollingIntervalMs(c: AutoscalingConfig): number {
  return c.pollingInterval ?? KEDA_DEFAULTS.pollingIntervalMs;
}
