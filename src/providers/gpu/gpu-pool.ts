/**
 * GpuPool (`kind: gpu`): N replicas of one model on one GPU type behind a provider name.
 *
 * Requests reach a replica either through the pool's own balancer (the gateway sees one target,
 * like a Kubernetes Service in front of vLLM pods) or directly, when the scenario exposes the
 * replicas as gateway targets (`expose: replicas`, as an endpoint picker does). Each replica runs
 * the vLLM-like scheduler of replica.ts.
 *
 * Faults: brownout (iterations slower by `latency`) and capacity loss, which takes replicas down
 * (their sequences fail with 503) and brings them back after `slowStart` when it ends. An output
 * a fault cuts (faults/faulty-provider.ts, asked when a replica gets the attempt) ends after that
 * many tokens; a cut to none (the error rate) fails at the first token, after its prefill.
 */
import type { Scheduler } from '../../engine/clock.ts';
import type { Random } from '../../engine/rng.ts';
import type { GpuProviderConfig } from '../../scenario/schema.ts';
import type { Attempt } from '../attempt.ts';
import { FastAnswers } from '../fast-answer.ts';
import { FaultState, NO_OUTPUT_FAULTS, type OutputFaults } from '../faults/fault-state.ts';
import type {
  AttemptSink,
  CapacityTime,
  KvEventListener,
  LoadGauges,
  PrefixCacheStats,
  Provider,
  ReplicaSet,
  ReplicaWatcher,
} from '../provider.ts';
import { type GpuProfile, kvBytesPerToken, kvCapacityTokens, type ModelProfile } from './catalog.ts';
import { type ColdStartHold, coldStartHoldFor } from './cold-start-hold.ts';
import type { NodeCounts, NodePool } from './node-pool.ts';
import { PoolReplicas } from './pool-replicas.ts';
import {
  GpuReplica,
  type OffloadOptions,
  type ReplicaListener,
  type SchedulerOptions,
  Sequence,
} from './replica.ts';
import type { IterationTimeModel } from './time-model.ts';

export interface GpuPoolSetup {
  config: GpuProviderConfig;
  model: ModelProfile;
  gpu: GpuProfile;
  timeModel: IterationTimeModel;
}

/** A replica's place in the pool's life (see `GpuPool.phase`). */
export type ReplicaPhase = 'starting' | 'ready' | 'draining' | 'gone';

export class GpuPool implements Provider, ReplicaListener {
  readonly name: string;
  readonly kind = 'gpu';
  readonly models: readonly string[];
  readonly faults = new FaultState();
  /**
   * A reported attempt is forgotten: its sequence is done (the replicas skip done sequences they
   * still list, and never touch their attempts again), the cold-start hold's timer lets go of it
   * as it leaves, and FastAnswers drops it before reporting.
   */
  readonly forgetsReported = true;
  /** Replicas (each counts as one unit of capacity). */
  readonly capacity: number;
  /** The replicas, in id order (white-box access for tests; callers use `replicas`). */
  readonly members: GpuReplica[];
  readonly replicas: ReplicaSet;
  /** Prompt + output tokens a request may have: the model's context, and what one replica's KV cache holds. */
  readonly contextWindow: number;
  readonly schedulerOptions: SchedulerOptions;
  private readonly timeModelKind: string;
  private readonly config: GpuProviderConfig;
  private readonly scheduler: Scheduler;
  private readonly sink: AttemptSink;
  private readonly outputFaults: OutputFaults;
  private readonly balancerRng: Random;
  private cursor = 0;
  /** Replicas taking work: up and warmed up. */
  private upCount: number;
  private readonly fast: FastAnswers;
  /**
   * Each replica's place in the pool's life (by id): `starting` (requested: provisioning, loading,
   * warming up; billed, no traffic), `ready` (serving, or down to a fault), `draining` (no new
   * work, finishing what it holds), `gone`. A fixed pool's replicas are all `ready`.
   */
  private readonly phase: ReplicaPhase[];
  /** Replicas taking new work: up, ready (not draining). */
  private servingCount: number;
  /** Replicas billed (every phase but gone), and their integral over time. */
  private billedCount: number;
  private billedReplicaMs = 0;
  private billedChangedMs = 0;
  private readonly timeModel: IterationTimeModel;
  /** A replica was added or removed (else every replica is ready, as in a fixed pool). */
  private scaled = false;
  private kvListener: KvEventListener | undefined;
  /** Told when a replica becomes ready or starts draining (gateway targets of replicas join and leave). */
  private watcher: ReplicaWatcher | undefined;
  /** Where requests wait while no replica is ready (a KEDA pool's cold start); undefined: refused. */
  private readonly hold: ColdStartHold | undefined;
  /** The nodes the replicas run on (`nodePool`); undefined: replicas are billed, nodes not modelled. */
  private nodes: NodePool | undefined;

  constructor(
    setup: GpuPoolSetup,
    scheduler: Scheduler,
    sink: AttemptSink,
    balancerRng: Random,
    outputFaults: OutputFaults = NO_OUTPUT_FAULTS,
  ) {
    const { config, model, gpu, timeModel } = setup;
    this.config = config;
    this.name = config.name;
    this.models = config.models ?? [config.name];
    // An autoscaled pool starts within its bounds (as if the HPA had applied them before the run).
    const a = config.autoscaling;
    const replicas = a ? Math.min(a.max, Math.max(a.min, config.replicas)) : config.replicas;
    this.capacity = replicas;
    this.scheduler = scheduler;
    this.sink = sink;
    this.fast = new FastAnswers(scheduler, sink);
    this.hold = coldStartHoldFor(config, scheduler, this.fast);
    this.balancerRng = balancerRng;
    this.outputFaults = outputFaults;
    this.timeModelKind = timeModel.kind;
    const s = config.scheduler;
    const kvTokens =
      s.kvBlocks !== undefined
        ? s.kvBlocks * s.blockSize
        : kvCapacityTokens(model, gpu, config.tensorParallel, s.memoryUtilization);
    const kvBlocks = Math.floor(kvTokens / s.blockSize);
    this.schedulerOptions = {
      maxSeqs: s.maxSeqs,
      maxBatchedTokens: s.maxBatchedTokens,
      chunkedPrefill: s.chunkedPrefill,
      chunkSize: s.chunkSize ?? Number.POSITIVE_INFINITY,
      blockSize: s.blockSize,
      kvBlocks,
      watermarkBlocks: Math.floor(kvBlocks * s.watermark),
      prefixCacheBlocks: prefixCacheBlocks(config, kvBlocks),
      ...offloadOptions(config, model),
    };
    this.members = Array.from(
      { length: replicas },
      (_, i) => new GpuReplica(i, scheduler, timeModel, this.schedulerOptions, this.faults, this),
    );
    this.upCount = replicas;
    this.timeModel = timeModel;
    this.phase = this.members.map(() => 'ready');
    this.servingCount = replicas;
    this.billedCount = replicas;
    this.contextWindow = Math.min(model.contextWindow, this.kvCapacityTokens);
    this.replicas = new PoolReplicas(
      this.members,
      (id, a) => this.submitTo(id, a),
      (w) => {
        this.watcher = w;
      },
    );
  }

  /** Each replica's prefix cache reports what it stores and evicts to `listener` (nothing without caches). */
  subscribeKvEvents(listener: KvEventListener): void {
    this.kvListener = listener;
    for (const r of this.members) this.forwardKvEvents(r, listener);
  }

  private forwardKvEvents(r: GpuReplica, listener: KvEventListener): void {
    const none: readonly number[] = [];
    const id = r.index;
    r.kv?.listen({
      stored: (keys) => listener(id, 'stored', keys),
      removed: (keys) => listener(id, 'removed', keys),
      cleared: () => listener(id, 'cleared', none),
    });
  }

  /** Tokens one replica's KV cache holds. */
  get kvCapacityTokens(): number {
    return this.schedulerOptions.kvBlocks * this.schedulerOptions.blockSize;
  }

  private arrivalCount = 0;
  /** Finished sequences no replica refers to (Sequence.reusable), for startOn to reuse. */
  private readonly freeSequences: Sequence[] = [];

  /** Attempts submitted to the pool so far (an autoscaler's request rate; held ones count once). */
  get arrivals(): number {
    return this.arrivalCount;
  }

  submit(a: Attempt): void {
    this.arrivalCount++;
    this.route(a);
  }

  private route(a: Attempt): void {
    if (this.refuse(a)) return;
    const replica = this.pick();
    if (!replica) {
      if (this.hold && this.readyCount() === 0) this.hold.add(a);
      else this.answerFast(a, 'server_error');
      return;
    }
    this.startOn(replica, a);
  }

  private readonly resubmit = (a: Attempt) => this.route(a);

  /**
   * Submits to one replica (gateway targets that are replicas). A down replica refuses at once.
   * Outage and hang are the fault wrapper's: route through `FaultyProvider.passes` first.
   */
  submitTo(index: number, a: Attempt): void {
    this.arrivalCount++;
    if (this.refuse(a)) return;
    const replica = this.members[index]!;
    // A replica not ready (draining, gone) has left the gateway's targets; refuse as if down.
    if (!replica.up || this.phase[index] !== 'ready') {
      this.answerFast(a, 'server_error');
      return;
    }
    this.startOn(replica, a);
  }

  cancel(a: Attempt): void {
    if (this.hold?.cancel(a)) return;
    const seq = a.handle as Sequence | undefined;
    if (!seq || seq.state === 'done' || a.status !== 'pending') return;
    const replica = this.members[seq.replica]!;
    const delivered = replica.delivered(seq);
    replica.remove(seq);
    a.status = 'cancelled';
    this.report(seq, this.scheduler.now(), delivered);
  }

  faultsChanged(): void {
    const now = this.scheduler.now();
    const target = this.faultTarget();
    // Lose the highest-numbered replicas first; bring them back (after slow start) in order.
    // Positions count ready replicas only (a fixed pool's: all of them).
    let position = -1;
    for (let i = 0; i < this.members.length; i++) {
      const r = this.members[i]!;
      if (this.phase[i] !== 'ready') continue;
      position++;
      const shouldBeUp = position < target;
      if (!shouldBeUp && r.up) {
        r.up = false;
        this.servingCount--;
        this.setUpCount(this.upCount - 1);
        for (const { seq, delivered } of r.drainAll()) {
          seq.attempt.status = 'server_error';
          this.report(seq, now, delivered);
        }
      } else if (shouldBeUp && !r.up && !this.warming.has(i)) {
        this.warming.add(i);
        this.scheduler.after(this.config.slowStart, this.onWarm, i);
      }
    }
    for (const r of this.members) r.wake();
  }

  private readonly warming = new Set<number>();
  private readonly onWarm = (i: number) => {
    this.warming.delete(i);
    if (this.phase[i] !== 'ready') return; // drained away while warming
    if (this.readyPosition(i) >= this.faultTarget() || this.members[i]!.up) return; // lost again while warming
    this.members[i]!.up = true;
    this.servingCount++;
    this.setUpCount(this.upCount + 1);
    this.members[i]!.wake();
    this.hold?.release(this.resubmit);
  };

  /** How many ready replicas the capacity faults leave up. */
  private faultTarget(): number {
    return Math.max(0, Math.round(this.readyCount() * this.faults.capacityFactor));
  }

  private readyCount(): number {
    if (!this.scaled) return this.capacity;
    let n = 0;
    for (const p of this.phase) if (p === 'ready') n++;
    return n;
  }

  /** Position of ready replica `id` among the ready replicas, in id order. */
  private readyPosition(id: number): number {
    let n = 0;
    for (let i = 0; i < id; i++) if (this.phase[i] === 'ready') n++;
    return n;
  }

  // Scaling (autoscaler.ts) -----------------------------------------------------------------

  /** Runs the replicas on `nodes` from now (the ones it has are packed onto nodes ready now); the fleet bills nodes. */
  useNodes(nodes: NodePool): void {
    this.nodes = nodes;
    nodes.seed(this.phase.flatMap((p, id) => (p === 'gone' ? [] : [id])));
  }

  /** The nodes now (undefined without a node pool). */
  nodeCounts(): NodeCounts | undefined {
    return this.nodes?.counts();
  }

  /** The node replica `id` is placed on (undefined without a node pool, or while it waits for one). */
  nodeOf(id: number): number | undefined {
    return this.nodes?.nodeOf(id);
  }

  /**
   * Requests a new replica with a new id (never a reused one): billed from now, it takes traffic
   * after `readyInMs` (provisioning, model load, warm-up). Returns its id.
   */
  addReplica(readyInMs: number): number {
    const id = this.members.length;
    const r = new GpuReplica(id, this.scheduler, this.timeModel, this.schedulerOptions, this.faults, this);
    r.up = false;
    this.scaled = true;
    if (this.kvListener) this.forwardKvEvents(r, this.kvListener);
    this.members.push(r);
    this.phase.push('starting');
    this.setBilledCount(this.billedCount + 1);
    // On nodes, its startup begins once it has a ready node.
    if (this.nodes) this.nodes.place(id, () => this.scheduler.after(readyInMs, this.onReady, id));
    else this.scheduler.after(readyInMs, this.onReady, id);
    return id;
  }

  private readonly onReady = (id: number) => {
    if (this.phase[id] !== 'starting') return; // removed before it was ready
    this.phase[id] = 'ready';
    if (this.faults.capacityFactor < 1) {
      // Under a capacity fault the fault's share of the larger pool decides (after slow start).
      this.faultsChanged();
      this.watcher?.(id, 'ready');
      return;
    }
    const r = this.members[id]!;
    r.up = true;
    this.servingCount++;
    this.setUpCount(this.upCount + 1);
    this.watcher?.(id, 'ready');
    this.hold?.release(this.resubmit);
  };

  /**
   * Removes replica `id`: one still starting is gone at once (billing stops); a ready one drains,
   * taking no new work while the work it holds finishes, and is gone when empty.
   */
  removeReplica(id: number): void {
    this.scaled = true;
    const p = this.phase[id];
    if (p === 'starting') {
      this.phase[id] = 'gone';
      this.setBilledCount(this.billedCount - 1);
      this.nodes?.release(id);
    } else if (p === 'ready') {
      this.phase[id] = 'draining';
      this.watcher?.(id, 'draining');
      if (this.members[id]!.up) this.servingCount--;
      this.checkDrained(id);
    }
  }

  /** Replicas under a spot reclaim's notice: draining, gone when the notice runs out (not when empty). */
  private readonly reclaiming = new Set<number>();
  /** Told when a spot reclaim takes replicas (an autoscaler replaces them). */
  private reclaimListener: (() => void) | undefined;

  onReclaim(listener: () => void): void {
    this.reclaimListener = listener;
  }

  /**
   * Spot capacity reclaimed with notice: the `count` newest ready replicas (highest ids; fewer if
   * fewer are ready) drain from now, taking no new work, and are gone after `noticeMs`, when
   * whatever they still run fails as a server error and their billing stops. On a node pool the
   * nodes holding them go: every replica on those nodes gets the notice (one still starting goes
   * at once), and the nodes stop billing when it runs out.
   */
  reclaim(count: number, noticeMs: number): void {
    const newest = this.replicasIn('ready').reverse().slice(0, count);
    if (newest.length === 0) return;
    this.scaled = true;
    // On nodes, the cloud takes their nodes: every replica on them goes with the same notice.
    const ids = this.nodes ? this.nodes.reclaimNodesOf(newest, noticeMs) : newest;
    for (const id of ids) {
      const p = this.phase[id];
      if (p === 'starting') {
        this.removeReplica(id); // never served: gone at once
        continue;
      }
      if (p !== 'ready' && (p !== 'draining' || this.reclaiming.has(id))) continue;
      this.phase[id] = 'draining';
      this.reclaiming.add(id);
      if (p === 'ready') {
        this.watcher?.(id, 'draining');
        if (this.members[id]!.up) this.servingCount--;
      }
      this.scheduler.after(noticeMs, this.onReclaimed, id);
    }
    this.reclaimListener?.();
  }

  private readonly onReclaimed = (id: number) => {
    this.reclaiming.delete(id);
    const now = this.scheduler.now();
    const r = this.members[id]!;
    for (const { seq, delivered } of r.drainAll()) {
      seq.attempt.status = 'server_error';
      this.report(seq, now, delivered);
    }
    this.phase[id] = 'gone';
    if (r.up) {
      r.up = false;
      this.setUpCount(this.upCount - 1);
    }
    this.setBilledCount(this.billedCount - 1);
    this.nodes?.release(id);
  };

  /** Ids of the replicas in `phase`, in id order. */
  replicasIn(phase: ReplicaPhase): number[] {
    const ids: number[] = [];
    for (let i = 0; i < this.phase.length; i++) if (this.phase[i] === phase) ids.push(i);
    return ids;
  }

  /** The replica's scrape-able gauges (waiting, running, KV use). */
  replicaGauges(id: number): { waiting: number; running: number; kvUsage: number; up: boolean } {
    const r = this.members[id]!;
    return { waiting: r.waitingCount, running: r.runningCount, kvUsage: r.kvUsage, up: r.up };
  }

  /** Replica-milliseconds billed (every replica from its request until it is gone) up to `nowMs`. */
  billedMs(nowMs: number): number {
    return this.billedReplicaMs + this.billedCount * (nowMs - this.billedChangedMs);
  }

  /** Fleet cost billed up to `nowMs` (USD): node-hours on a node pool, else replica-hours. */
  fleetCostUsd(nowMs: number): number {
    if (this.nodes) return this.nodes.costUsd(nowMs);
    return (this.billedMs(nowMs) / 3_600_000) * this.config.costPerReplicaHour;
  }

  private setBilledCount(n: number): void {
    const now = this.scheduler.now();
    this.billedReplicaMs = this.billedMs(now);
    this.billedChangedMs = now;
    this.billedCount = n;
  }

  /** A draining replica with nothing left is gone. */
  private readonly checkDrained = (id: number) => {
    if (this.phase[id] !== 'draining' || this.members[id]!.load > 0 || this.reclaiming.has(id)) return;
    this.phase[id] = 'gone';
    const r = this.members[id]!;
    if (r.up) {
      r.up = false;
      this.setUpCount(this.upCount - 1);
    }
    this.setBilledCount(this.billedCount - 1);
    this.nodes?.release(id);
  };

  /** After an attempt on a draining replica ends, checks (once the instant settles) whether it is empty. */
  private afterEnd(id: number): void {
    if (this.phase[id] === 'draining') this.scheduler.atEndOfInstant(this.checkDrained, id);
  }

  inService(): number {
    let n = 0;
    for (const r of this.members) n += r.runningCount;
    return n;
  }

  /** Requests waiting for a ready replica (a KEDA pool's cold start). */
  heldRequests(): number {
    return this.hold?.size ?? 0;
  }

  queued(): number {
    let n = this.hold?.size ?? 0;
    for (const r of this.members) n += r.waitingCount;
    return n;
  }

  /** Mean KV-cache use over replicas that are up. */
  kvUsage(): number {
    let sum = 0;
    let n = 0;
    for (const r of this.members) {
      if (!r.up) continue;
      sum += r.kvUsage;
      n++;
    }
    return n > 0 ? sum / n : 0;
  }

  /** Pool-wide gauges, as a scraper of the pool seen as one target reads them. */
  gauges(): LoadGauges {
    return { waiting: this.queued(), running: this.inService(), kvUsage: this.kvUsage() };
  }

  /** The sequence's own count on its replica, which advances as iterations decode it. */
  deliveredTokens(a: Attempt): number {
    if (a.status !== 'pending') return a.outputTokens; // the pool sets a status only as it reports
    const seq = a.handle as Sequence | undefined;
    if (!seq || seq.state === 'done') return 0;
    const replica = this.members[seq.replica];
    return replica ? Math.min(seq.deliver, replica.delivered(seq)) : 0;
  }

  stats(nowMs: number): Record<string, number | string> {
    const sum = (f: (r: GpuReplica) => number) => this.members.reduce((a, r) => a + f(r), 0);
    if (this.config.autoscaling) {
      // Billed from the request to gone (a cloud bills the node once provisioned).
      const billedHours = this.billedMs(nowMs) / 3_600_000; // fleetCostUsd(nowMs) in hours
      return {
        replicas: this.phase.filter((p) => p !== 'gone').length,
        replicasEver: this.members.length,
        timeModel: this.timeModelKind,
        kvCapacityTokensPerReplica: this.kvCapacityTokens,
        iterations: sum((r) => r.iterations),
        preemptions: sum((r) => r.preemptions),
        prefixCacheHits: sum((r) => r.prefixHits),
        replicaHoursUp: this.replicaMsUp(nowMs) / 3_600_000,
        replicaHoursBilled: billedHours,
        ...(this.nodes
          ? {
              nodesEver: this.nodes.ever,
              nodes: this.nodes.counts().requested,
              nodeHoursBilled: this.nodes.billedMs(nowMs) / 3_600_000,
              fleetCostUsd: this.nodes.costUsd(nowMs),
            }
          : { fleetCostUsd: billedHours * this.config.costPerReplicaHour }),
      };
    }
    return {
      replicas: this.members.length,
      timeModel: this.timeModelKind,
      kvCapacityTokensPerReplica: this.kvCapacityTokens,
      iterations: sum((r) => r.iterations),
      preemptions: sum((r) => r.preemptions),
      prefixCacheHits: sum((r) => r.prefixHits),
      replicaHoursUp: this.replicaMsUp(nowMs) / 3_600_000,
      fleetCostUsd: (this.replicaMsUp(nowMs) / 3_600_000) * this.config.costPerReplicaHour,
    };
  }

  /** The prefix caches' prompt and cached tokens (first admissions), pool-wide and per replica; undefined with caching off. */
  prefixCacheStats(): PrefixCacheStats | undefined {
    if (this.schedulerOptions.prefixCacheBlocks <= 0) return undefined;
    return prefixCacheStatsOf(this.members, this.schedulerOptions.offload !== undefined);
  }

  /** Time replicas spent iterating over replica-time they were up. */
  utilization(nowMs: number): number {
    const t = this.capacityTime(nowMs);
    return t.availableMs > 0 ? Math.min(1, t.busyMs / t.availableMs) : 0;
  }

  capacityTime(nowMs: number): CapacityTime {
    let busyMs = 0;
    for (const r of this.members) busyMs += r.busyMs;
    return { busyMs, availableMs: this.replicaMsUp(nowMs) };
  }

  /** Replica-milliseconds up from the start to `nowMs`. */
  private replicaMsUp(nowMs: number): number {
    return this.upReplicaMs + this.upCount * (nowMs - this.upChangedMs);
  }

  /** Integral of replicas up over time, up to `upChangedMs`. */
  private upReplicaMs = 0;
  private upChangedMs = 0;
  private setUpCount(n: number): void {
    const now = this.scheduler.now();
    this.upReplicaMs = this.replicaMsUp(now);
    this.upChangedMs = now;
    this.upCount = n;
  }

  // ReplicaListener -------------------------------------------------------------------------

  admitted(seq: Sequence, nowMs: number): void {
    seq.attempt.serviceStartMs = nowMs;
    seq.attempt.queuedAtProvider = false;
  }

  firstToken(seq: Sequence, nowMs: number): void {
    seq.attempt.firstTokenMs = nowMs;
  }

  finished(seq: Sequence, nowMs: number): void {
    const a = seq.attempt;
    if (a.status === 'pending')
      a.status = seq.failAtFirstToken || seq.deliver < a.work.outputTokens ? 'stream_cut' : 'ok';
    this.report(seq, nowMs, seq.failAtFirstToken ? 0 : seq.deliver);
    if (seq.reusable) this.freeSequences.push(seq);
  }

  // -----------------------------------------------------------------------------------------

  /** Requests no replica could ever serve are answered here. */
  private refuse(a: Attempt): boolean {
    const req = a.work;
    if (
      req.promptTokens + req.outputTokens > this.contextWindow ||
      req.promptTokens + req.outputTokens > this.kvCapacityTokens
    ) {
      this.answerFast(a, 'bad_request');
      return true;
    }
    return false;
  }

  private pick(): GpuReplica | undefined {
    if (this.servingCount === 0) return undefined;
    const rs = this.members;
    switch (this.config.balancer) {
      case 'round-robin': {
        for (let tries = 0; tries < rs.length; tries++) {
          const r = rs[this.cursor++ % rs.length]!;
          if (r.up && this.phase[r.index] === 'ready') return r;
        }
        return undefined;
      }
      case 'random': {
        for (;;) {
          const r = rs[Math.floor(this.balancerRng() * rs.length)]!;
          if (r.up && this.phase[r.index] === 'ready') return r;
        }
      }
      case 'least-loaded': {
        let best: GpuReplica | undefined;
        for (const r of rs)
          if (r.up && this.phase[r.index] === 'ready' && (!best || r.load < best.load)) best = r;
        return best;
      }
    }
  }

  // Disaggregated serving (disaggregated-pool.ts): this pool is the decode pool ---------------

  /** Id of the replica the balancer would give a request now; undefined when none serves. */
  pickServing(): number | undefined {
    return this.pick()?.index;
  }

  /** Prompt tokens of `work` replica `id`'s prefix cache holds now (0 without a cache). */
  cachedPromptTokens(id: number, work: Attempt['work']): number {
    return this.members[id]!.cachedPromptTokens(work);
  }

  /**
   * Takes `a`, prefilled elsewhere, to decode on replica `id` (another, if `id` no longer serves):
   * its KV arrives `transferMs` after the replica finds blocks for it. `cachedTokens`: the prompt
   * tokens the prefill replica's cache served. None serving: a 503 at once.
   */
  startTransferred(id: number, a: Attempt, deliver: number, transferMs: number, cachedTokens: number): void {
    let replica: GpuReplica | undefined = this.members[id];
    if (!replica?.up || this.phase[id] !== 'ready') replica = this.pick();
    if (!replica) {
      this.answerFast(a, 'server_error');
      return;
    }
    const seq = new Sequence(a, deliver, false, replica.index);
    seq.transferMs = transferMs;
    seq.cachedElsewhere = cachedTokens;
    a.handle = seq;
    replica.submit(seq);
  }

  private startOn(replica: GpuReplica, a: Attempt): void {
    const out = a.work.outputTokens;
    const cap = this.outputFaults.outputCap(a);
    // A cut to no tokens fails when the first would come out of the prefill.
    const deliver = Math.min(out, Math.max(1, cap));
    // A finished sequence is reused once its attempt no longer names it (the gateway reused the
    // attempt); one still named is dropped to the garbage collector.
    const free = this.freeSequences.pop();
    const seq =
      free !== undefined && free.attempt.handle !== free
        ? free.reset(a, deliver, cap === 0, replica.index)
        : new Sequence(a, deliver, cap === 0, replica.index);
    a.handle = seq;
    a.queuedAtProvider = true;
    replica.submit(seq);
  }

  /** Reports the attempt with the tokens it delivered; the pool bills them (prices default to 0). */
  private report(seq: Sequence, nowMs: number, delivered: number): void {
    this.afterEnd(seq.replica);
    this.settle(
      seq.attempt,
      nowMs,
      delivered,
      seq.kv?.cachedTokens ?? seq.cachedElsewhere,
      seq.kv?.offloadedTokens ?? 0,
    );
  }

  /** Ends `a` with `delivered` tokens, billed at the pool's prices, and hands it to the sink. */
  settle(a: Attempt, nowMs: number, delivered: number, cachedTokens: number, offloadedTokens = 0): void {
    a.endMs = nowMs;
    a.outputTokens = delivered;
    if (a.outputTokens > 1 && a.firstTokenMs < nowMs)
      a.tokenIntervalMs = (nowMs - a.firstTokenMs) / (a.outputTokens - 1);
    a.billedInputTokens = a.work.promptTokens;
    a.cachedInputTokens = cachedTokens;
    a.offloadedInputTokens = offloadedTokens;
    a.billedOutputTokens = a.outputTokens;
    const p = this.config.pricing;
    a.costUsd = (a.billedInputTokens * p.inputPerMTok + a.billedOutputTokens * p.outputPerMTok) / 1e6;
    this.sink.attemptDone(a);
  }

  /** Answers with `status` at once (from a fresh event), without serving the attempt. */
  private answerFast(a: Attempt, status: 'server_error' | 'bad_request'): void {
    this.fast.after(0, a, status);
  }
}

/**
 * A replica's CPU tier from the scenario's `prefixCache.offload`: GB over the model's KV bytes per
 * KV block (catalog.ts), and the time to copy a token's KV back, the model's KV bytes per token
 * over the GPUs' host links (each GPU of a tensor-parallel replica loads its share over its own).
 */
function offloadOptions(config: GpuProviderConfig, model: ModelProfile): { offload?: OffloadOptions } {
  const o = config.prefixCache.offload;
  if (!o || !config.prefixCache.enabled) return {};
  const bytesPerToken = kvBytesPerToken(model);
  return {
    offload: {
      capacityKv: Math.floor((o.sizeGB * 1e9) / (bytesPerToken * config.scheduler.blockSize)),
      msPerToken: (1000 * bytesPerToken) / (o.bandwidthGBps * 1e9 * config.tensorParallel),
      latencyMs: o.latency,
    },
  };
}

/**
 * The cap on KV blocks that cached blocks nobody uses keep: 0 with the cache off; `share` of the
 * blocks when the scenario sets one; else all free memory (vLLM keeps them until it needs it).
 */
function prefixCacheBlocks(config: GpuProviderConfig, kvBlocks: number): number {
  const c = config.prefixCache;
  if (!c.enabled) return 0;
  return c.share === undefined ? Number.POSITIVE_INFINITY : Math.floor(kvBlocks * c.share);
}

/**
 * The prefix caches of `replicas` (each with a cache): prompt and cached tokens of first
 * admissions, summed and per replica in the order given; with `offload`, the CPU tier's too.
 */
export function prefixCacheStatsOf(replicas: readonly GpuReplica[], offload: boolean): PrefixCacheStats {
  const counts = replicas.map((r) => ({
    promptTokens: r.kv!.promptTokens,
    cachedTokens: r.kv!.cachedTokens,
    ...(offload
      ? {
          offloadedTokens: r.kv!.offloadedTokens,
          offloadLoads: r.offloadLoads,
          offloadTransferMs: r.offloadTransferMs,
        }
      : {}),
  }));
  const sum = (f: (r: (typeof counts)[number]) => number) => counts.reduce((a, r) => a + f(r), 0);
  return {
    promptTokens: sum((r) => r.promptTokens),
    cachedTokens: sum((r) => r.cachedTokens),
    ...(offload
      ? {
          offloadedTokens: sum((r) => r.offloadedTokens ?? 0),
          offloadLoads: sum((r) => r.offloadLoads ?? 0),
          offloadTransferMs: sum((r) => r.offloadTransferMs ?? 0),
        }
      : {}),
    replicas: counts,
  };
}
