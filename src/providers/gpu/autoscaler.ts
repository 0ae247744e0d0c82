/**
 * PoolAutoscaler: a Kubernetes HPA in front of one GPU pool (`autoscaling` on a `kind: gpu`
 * provider), with the lags a real one has:
 * - a metrics pipeline scrapes each ready replica's gauge every `scrapeInterval`, and the
 *   autoscaler reads the newest scrape at least `adapterDelay` old (Prometheus plus an adapter);
 * - every `syncPeriod` it computes the HPA's recommendation (hpa.ts), stabilizes it, limits it by
 *   the behavior policies and sets the pool's scale;
 * - while a `metrics-outage` fault holds, every read of the metric fails and a sync keeps the scale;
 * - a replica it adds is billed at once and takes traffic after provisioning, model load and
 *   warm-up; one it removes is the newest still starting (gone at once), else the newest ready
 *   one, which drains (the order a ReplicaSet deletes pods in: not ready before ready, newest first).
 */
import type { Scheduler } from '../../engine/clock.ts';
import { createDistribution, type Distribution } from '../../engine/dist/index.ts';
import type { Random } from '../../engine/rng.ts';
import type { AutoscalingConfig } from '../../scenario/schema.ts';
import type { GpuPool } from './gpu-pool.ts';
import {
  normalize,
  type Recommendation,
  replicasForMetric,
  type ScaleEvent,
  type ScalingRules,
  stabilize,
} from './hpa.ts';

/** The pool's replicas as the autoscaler last set and sees them. */
export interface ReplicaCounts {
  /** The scale the autoscaler asks for. */
  desired: number;
  /** Requested, not yet taking traffic (provisioning, loading, warming up). */
  starting: number;
  /** Taking traffic (or down to a fault). */
  ready: number;
  /** Finishing their work before they go. */
  draining: number;
}

/** What the time series samples of an autoscaled pool: replica counts and the fleet cost billed so far. */
export interface PoolGauge {
  desired: number;
  starting: number;
  ready: number;
  fleetCostUsd: number;
  /** On a node pool: nodes not removed, those provisioning, those ready. */
  nodesRequested?: number;
  nodesProvisioning?: number;
  nodesReady?: number;
}

/**
 * One scrape: the gauge of each ready replica that is up, the requests held in front of the pool,
 * and the requests per second the pool received since the previous scrape.
 */
export interface Scrape {
  atMs: number;
  values: number[];
  held: number;
  rate: number;
}

export class PoolAutoscaler {
  protected readonly pool: GpuPool;
  protected readonly config: AutoscalingConfig;
  protected readonly scheduler: Scheduler;
  private readonly rng: Random;
  private readonly provisioning: Distribution;
  private readonly up: ScalingRules;
  private readonly down: ScalingRules;
  private readonly scrapes: Scrape[] = [];
  private readonly recommendations: Recommendation[] = [];
  private readonly events: ScaleEvent[] = [];
  protected desired: number;

  constructor(
    pool: GpuPool,
    config: AutoscalingConfig,
    startReplicas: number,
    scheduler: Scheduler,
    rng: Random,
  ) {
    this.pool = pool;
    this.config = config;
    this.scheduler = scheduler;
    this.rng = rng;
    this.desired = startReplicas;
    this.provisioning = createDistribution(config.provisioning);
    this.up = rules(config.scaleUp);
    this.down = rules(config.scaleDown);
  }

  /**
   * Starts scraping now and syncing every sync period. Replicas a spot reclaim takes are replaced
   * at once, at the same scale (as a ReplicaSet replaces a pod the moment it starts terminating).
   */
  start(): void {
    this.pool.onReclaim(() => this.scaleTo(this.desired));
    this.scrape();
    this.scheduler.afterDaemon(this.config.syncPeriod, this.sync, undefined);
  }

  counts(): ReplicaCounts {
    return {
      desired: this.desired,
      starting: this.pool.replicasIn('starting').length,
      ready: this.pool.replicasIn('ready').length,
      draining: this.pool.replicasIn('draining').length,
    };
  }

  /** The counts the time series shows (and the nodes', on a node pool), with the fleet cost billed up to `nowMs`. */
  gauge(nowMs: number): PoolGauge {
    const c = this.counts();
    const nodes = this.pool.nodeCounts();
    return {
      desired: c.desired,
      starting: c.starting,
      ready: c.ready,
      fleetCostUsd: this.pool.fleetCostUsd(nowMs),
      ...(nodes
        ? { nodesRequested: nodes.requested, nodesProvisioning: nodes.provisioning, nodesReady: nodes.ready }
        : {}),
    };
  }

  /** Time from the request to a replica taking traffic: provisioning + model load + warm-up. */
  startupMs(): number {
    const load = this.config.modelLoad;
    const loadMs = typeof load === 'number' ? load : (load.weightsGB / load.bandwidthGBps) * 1000;
    return Math.max(0, this.provisioning.sample(this.rng)) + loadMs + this.config.warmUp;
  }

  private lastArrivals = 0;
  private lastScrapeMs = 0;

  private readonly scrape = () => {
    const now = this.scheduler.now();
    const arrivals = this.pool.arrivals;
    const elapsed = now - this.lastScrapeMs;
    const rate = elapsed > 0 ? ((arrivals - this.lastArrivals) * 1000) / elapsed : 0;
    this.lastArrivals = arrivals;
    this.lastScrapeMs = now;
    const values: number[] = [];
    for (const id of this.pool.replicasIn('ready')) {
      const g = this.pool.replicaGauges(id);
      if (g.up) values.push(this.metricOf(g));
    }
    // The pool's rate, shared over the replicas that report (as an ingress counts a Service's requests).
    if (this.config.metric === 'requestRate') values.fill(rate / values.length);
    this.scrapes.push({ atMs: now, values, held: this.pool.heldRequests(), rate });
    // Keep the scrapes the adapter may still serve.
    const oldest = this.scheduler.now() - this.config.adapterDelay - this.config.scrapeInterval;
    while (this.scrapes.length > 1 && this.scrapes[1]!.atMs <= oldest) this.scrapes.shift();
    this.scheduler.afterDaemon(this.config.scrapeInterval, this.scrape, undefined);
  };

  protected metricOf(g: { waiting: number; running: number; kvUsage: number }): number {
    switch (this.config.metric) {
      case 'waiting':
        return g.waiting;
      case 'running':
        return g.running;
      case 'kvUsage':
        return g.kvUsage;
      case 'inFlight':
        return g.waiting + g.running;
      case 'requestRate':
        return 0; // the pool's, set per scrape
    }
  }

  /** The newest scrape the adapter serves now: at least `adapterDelay` old. */
  protected visibleScrape(nowMs: number): Scrape | undefined {
    let seen: Scrape | undefined;
    for (const s of this.scrapes) if (s.atMs <= nowMs - this.config.adapterDelay) seen = s;
    return seen;
  }

  private readonly sync = () => {
    const now = this.scheduler.now();
    this.scheduler.afterDaemon(this.config.syncPeriod, this.sync, undefined);
    const scrape = this.visibleScrape(now);
    // An HPA whose scale is 0 does not act ("scaling is disabled"): only KEDA scales from zero.
    if (!scrape || this.desired === 0) return;
    const current = this.desired;
    const recommended = this.recommend(current, scrape);
    // The metric could not be read: the HPA records no recommendation and keeps the scale.
    if (recommended === undefined) return;
    const stabilized = stabilize(current, recommended, this.recommendations, now, this.up, this.down);
    this.recommendations.push({ atMs: now, replicas: recommended });
    const keep = Math.max(this.up.stabilizationWindowMs, this.down.stabilizationWindowMs);
    while (this.recommendations.length > 0 && this.recommendations[0]!.atMs <= now - keep)
      this.recommendations.shift();
    const next = normalize(current, stabilized, this.events, now, {
      min: this.hpaMin(),
      max: this.config.max,
      up: this.up,
      down: this.down,
    });
    const longest = Math.max(...[...this.up.policies, ...this.down.policies].map((p) => p.periodMs));
    while (this.events.length > 0 && this.events[0]!.atMs <= now - longest) this.events.shift();
    if (next === current) return;
    this.events.push({ atMs: now, change: next - current });
    this.desired = next;
    this.scaleTo(next);
  };

  /**
   * The HPA's recommendation from a Pods metric: the per-replica average against the target;
   * undefined when the metrics API fails (a `metrics-outage`): the HPA controller then records
   * FailedGetPodsMetric / FailedComputeMetricsReplicas and skips this sync's scale decision.
   */
  protected recommend(current: number, scrape: Scrape): number | undefined {
    if (this.pool.faults.metricsDown) return undefined;
    const missing = Math.max(0, current - scrape.values.length);
    const values = scrape.values.length > current ? scrape.values.slice(0, current) : scrape.values;
    return replicasForMetric(current, values, missing, this.config.target, this.config.tolerance);
  }

  /** The HPA's minReplicas. */
  protected hpaMin(): number {
    return this.config.min;
  }

  /** Adds or removes replicas so that starting + ready ones number `n`. */
  protected scaleTo(n: number): void {
    const starting = this.pool.replicasIn('starting');
    const ready = this.pool.replicasIn('ready');
    let have = starting.length + ready.length;
    while (have < n) {
      this.pool.addReplica(this.startupMs());
      have++;
    }
    // Not ready before ready, newest first.
    const victims = [...starting.reverse(), ...ready.reverse()];
    for (let i = 0; have > n; i++, have--) this.pool.removeReplica(victims[i]!);
  }
}

function rules(r: AutoscalingConfig['scaleUp']): ScalingRules {
  return {
    stabilizationWindowMs: r.stabilizationWindow,
    selectPolicy: r.selectPolicy,
    policies: r.policies.map((p) => ({ type: p.type, value: p.value, periodMs: p.period })),
  };
}
