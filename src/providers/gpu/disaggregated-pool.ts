/**
 * DisaggregatedPool (`kind: gpu` with `disaggregation:`): one model served by a prefill pool and a
 * decode pool, as vLLM's P/D connectors, llm-d, DistServe, Splitwise and Mooncake run it.
 *
 * Ownership: the decode pool is a GpuPool (gpu-pool.ts), which owns its replicas, faults, billing
 * and every report; this class owns the prefill replicas, the decider and the KV transfers, and
 * hands each request to the decode pool exactly once. A request:
 * 1. arrives; the decode pool's balancer picks its decode replica, and the decider reads that
 *    replica's prefix cache: a request with too few uncached prompt tokens (or one output token,
 *    or failing at its first token) is served colocated there, prefill and decode;
 * 2. otherwise prefills on the least-loaded prefill replica (the same vLLM-like scheduler, on the
 *    prefill GPU type's time model), which frees its blocks when the prefill ends;
 * 3. waits on the decode replica for KV blocks (admitted in line with the replica's own waiting
 *    requests), then for the KV transfer (kv-transfer.ts);
 * 4. its first token reaches the caller when the KV has arrived (the decode instance streams the
 *    response, as behind llm-d's sidecar and vLLM's P/D proxy), and it decodes on that replica.
 *
 * Capacity faults take decode replicas (the decode pool's); brownouts slow both pools.
 */
import type { Scheduler } from '../../engine/clock.ts';
import { LogHistogram } from '../../engine/histogram.ts';
import type { Random } from '../../engine/rng.ts';
import type { DisaggregationConfig } from '../../scenario/disaggregation-schema.ts';
import type { GpuProviderConfig } from '../../scenario/schema.ts';
import type { Attempt } from '../attempt.ts';
import { FastAnswers } from '../fast-answer.ts';
import { type FaultState, NO_OUTPUT_FAULTS, type OutputFaults } from '../faults/fault-state.ts';
import type { AttemptSink, CapacityTime, LoadGauges, PrefixCacheStats, Provider } from '../provider.ts';
import { type GpuProfile, kvBytesPerToken, kvCapacityTokens, type ModelProfile } from './catalog.ts';
import { GpuPool, type GpuPoolSetup, prefixCacheStatsOf } from './gpu-pool.ts';
import { disaggregates, type KvLink, kvTransferMs, type PdDecider } from './kv-transfer.ts';
import { GpuReplica, type ReplicaListener, type SchedulerOptions, Sequence } from './replica.ts';
import type { IterationTimeModel } from './time-model.ts';

/** The decode pool's setup (the pool's own fields) and the prefill pool's GPU and time model. */
export interface DisaggregatedSetup {
  decode: GpuPoolSetup;
  prefill: { gpu: GpuProfile; tensorParallel: number; timeModel: IterationTimeModel };
}

/** A request between its arrival and its hand-over to the decode pool. */
interface Prefilling {
  readonly seq: Sequence;
  readonly decodeId: number;
  readonly deliver: number;
}

export class DisaggregatedPool implements Provider, ReplicaListener {
  readonly name: string;
  readonly kind = 'gpu';
  readonly models: readonly string[];
  readonly faults: FaultState;
  readonly capacity: number;
  readonly contextWindow: number;
  /**
   * A reported attempt is forgotten: its keyed entries (caps, prefilling, kvDue) go before it is
   * reported, its prefill sequence is done, and the decode pool forgets it too.
   */
  readonly forgetsReported = true;
  /** The decode pool and the prefill replicas (white-box access for tests). */
  readonly decode: GpuPool;
  readonly prefill: GpuReplica[];
  readonly prefillOptions: SchedulerOptions;
  private readonly config: GpuProviderConfig;
  private readonly d: DisaggregationConfig;
  private readonly model: ModelProfile;
  private readonly link: KvLink;
  private readonly decider: PdDecider;
  private readonly prefillTimeModelKind: string;
  private readonly scheduler: Scheduler;
  private readonly sink: AttemptSink;
  private readonly outputFaults: OutputFaults;
  private readonly fast: FastAnswers;
  /** Output caps decided at arrival, read once by the decode pool when it starts an attempt. */
  private readonly caps = new Map<Attempt, number>();
  private readonly prefilling = new Map<Attempt, Prefilling>();
  /** When each transferred attempt's KV would have arrived had it found blocks at once. */
  private readonly kvDue = new Map<Attempt, number>();
  private readonly transferMs = new LogHistogram();
  private readonly kvWaitMs = new LogHistogram();
  private transferBytes = 0;
  private colocated = 0;

  constructor(
    setup: DisaggregatedSetup,
    scheduler: Scheduler,
    sink: AttemptSink,
    balancerRng: Random,
    outputFaults: OutputFaults = NO_OUTPUT_FAULTS,
  ) {
    const { config, model } = setup.decode;
    this.config = config;
    this.d = config.disaggregation!;
    this.model = model;
    this.name = config.name;
    this.scheduler = scheduler;
    this.sink = sink;
    this.outputFaults = outputFaults;
    this.fast = new FastAnswers(scheduler, sink);
    this.link = { bandwidthGBps: this.d.transfer.bandwidthGBps, latencyMs: this.d.transfer.latency };
    this.decider = this.d.decider;
    const decodeSink: AttemptSink = { attemptDone: (a) => this.decodeDone(a) };
    const caps: OutputFaults = { outputCap: (a) => this.caps.get(a) ?? Number.POSITIVE_INFINITY };
    this.decode = new GpuPool(setup.decode, scheduler, decodeSink, balancerRng, caps);
    this.faults = this.decode.faults;
    this.models = this.decode.models;
    const p = setup.prefill;
    this.prefillTimeModelKind = p.timeModel.kind;
    const s = config.scheduler;
    const kvTokens =
      s.kvBlocks !== undefined
        ? s.kvBlocks * s.blockSize
        : kvCapacityTokens(model, p.gpu, p.tensorParallel, s.memoryUtilization);
    const kvBlocks = Math.floor(kvTokens / s.blockSize);
    this.prefillOptions = {
      ...this.decode.schedulerOptions,
      kvBlocks,
      watermarkBlocks: Math.floor(kvBlocks * s.watermark),
      prefixCacheBlocks: !config.prefixCache.enabled
        ? 0
        : config.prefixCache.share === undefined
          ? Number.POSITIVE_INFINITY
          : Math.floor(kvBlocks * config.prefixCache.share),
    };
    this.prefill = Array.from(
      { length: this.d.prefill.replicas },
      (_, i) => new GpuReplica(i, scheduler, p.timeModel, this.prefillOptions, this.faults, this),
    );
    this.capacity = this.decode.capacity + this.prefill.length;
    // A request must fit a prefill replica's KV cache (its prompt) and a decode replica's (all of it).
    this.contextWindow = Math.min(this.decode.contextWindow, kvBlocks * s.blockSize);
  }

  submit(a: Attempt): void {
    const req = a.work;
    if (req.promptTokens + req.outputTokens > this.contextWindow) {
      this.fast.after(0, a, 'bad_request');
      return;
    }
    const cap = this.outputFaults.outputCap(a);
    const deliver = Math.min(req.outputTokens, Math.max(1, cap));
    const id = this.decode.pickServing();
    if (
      id === undefined ||
      cap === 0 ||
      deliver <= 1 ||
      !disaggregates(this.decider, req.promptTokens - this.decode.cachedPromptTokens(id, req))
    ) {
      // Colocated on the decode pool (which answers 503 itself when no replica serves).
      this.colocated++;
      this.caps.set(a, cap);
      if (id === undefined) this.decode.submit(a);
      else this.decode.submitTo(id, a);
      return;
    }
    const replica = this.pickPrefill();
    const seq = new Sequence(a, 1, false, replica.index);
    this.prefilling.set(a, { seq, decodeId: id, deliver });
    a.handle = seq;
    a.queuedAtProvider = true;
    replica.submit(seq);
  }

  /** The prefill replica with the least work (waiting + running), lowest index first. */
  private pickPrefill(): GpuReplica {
    let best = this.prefill[0]!;
    for (const r of this.prefill) if (r.load < best.load) best = r;
    return best;
  }

  cancel(a: Attempt): void {
    const p = this.prefilling.get(a);
    if (!p) {
      this.decode.cancel(a);
      return;
    }
    if (a.status !== 'pending') return;
    this.prefilling.delete(a);
    this.prefill[p.seq.replica]!.remove(p.seq);
    a.status = 'cancelled';
    this.decode.settle(a, this.scheduler.now(), 0, p.seq.kv?.cachedTokens ?? 0);
  }

  faultsChanged(): void {
    this.decode.faultsChanged();
    for (const r of this.prefill) r.wake();
  }

  // Prefill replicas' listener ---------------------------------------------------------------

  admitted(seq: Sequence, nowMs: number): void {
    seq.attempt.serviceStartMs = nowMs;
    seq.attempt.queuedAtProvider = false;
  }

  /** The prefill's token travels with the KV: the caller sees it from the decode replica. */
  firstToken(): void {}

  /** The prefill is done: the KV leaves for the decode replica. */
  finished(seq: Sequence, nowMs: number): void {
    const a = seq.attempt;
    const p = this.prefilling.get(a)!;
    this.prefilling.delete(a);
    const ms = kvTransferMs(this.model, a.work.promptTokens, this.link);
    this.transferMs.record(ms);
    this.transferBytes += kvBytesPerToken(this.model) * a.work.promptTokens;
    this.kvDue.set(a, nowMs + ms);
    this.decode.startTransferred(p.decodeId, a, p.deliver, ms, seq.kv?.cachedTokens ?? 0);
  }

  /** Every attempt the decode pool ends passes here on its way to the sink. */
  private decodeDone(a: Attempt): void {
    this.caps.delete(a);
    const due = this.kvDue.get(a);
    if (due !== undefined) {
      this.kvDue.delete(a);
      if (Number.isFinite(a.firstTokenMs)) this.kvWaitMs.record(Math.max(0, a.firstTokenMs - due));
    }
    this.sink.attemptDone(a);
  }

  // Facets -----------------------------------------------------------------------------------

  deliveredTokens(a: Attempt): number {
    return this.prefilling.has(a) ? 0 : this.decode.deliveredTokens(a);
  }

  inService(): number {
    let n = this.decode.inService();
    for (const r of this.prefill) n += r.runningCount;
    return n;
  }

  queued(): number {
    let n = this.decode.queued();
    for (const r of this.prefill) n += r.waitingCount;
    return n;
  }

  /** Both pools' requests; KV use is the decode pool's (where requests hold KV longest). */
  gauges(): LoadGauges {
    return { waiting: this.queued(), running: this.inService(), kvUsage: this.decode.kvUsage() };
  }

  /** Busy time over replica time, both pools weighted by their replicas. */
  utilization(nowMs: number): number {
    const p = this.prefill.length;
    const dn = this.decode.capacity;
    return (this.decode.utilization(nowMs) * dn + this.prefillUtilization(nowMs) * p) / (dn + p);
  }

  /** Both pools' replica time, busy and up (prefill replicas are up from the start). */
  capacityTime(nowMs: number): CapacityTime {
    const decode = this.decode.capacityTime(nowMs);
    let busyMs = 0;
    for (const r of this.prefill) busyMs += r.busyMs;
    return {
      busyMs: decode.busyMs + busyMs,
      availableMs: decode.availableMs + this.prefill.length * Math.max(0, nowMs),
    };
  }

  private prefillUtilization(nowMs: number): number {
    if (nowMs <= 0) return 0;
    let busy = 0;
    for (const r of this.prefill) busy += r.busyMs;
    return Math.min(1, busy / (this.prefill.length * nowMs));
  }

  /**
   * Both pools' prefix caches: the decode replicas' (requests served colocated) then the prefill
   * replicas' (requests prefilled there), in that order; undefined with caching off.
   */
  prefixCacheStats(): PrefixCacheStats | undefined {
    if (this.prefillOptions.prefixCacheBlocks <= 0) return undefined;
    return prefixCacheStatsOf(
      [...this.decode.members, ...this.prefill],
      this.prefillOptions.offload !== undefined,
    );
  }

  /** Requests in prefill or whose KV is still due on a decode replica (a test's leak check). */
  get inFlightTransfers(): number {
    return this.prefilling.size + this.kvDue.size;
  }

  stats(nowMs: number): Record<string, number | string> {
    const decodeStats = this.decode.stats(nowMs);
    const prefillHours = (this.prefill.length * nowMs) / 3_600_000;
    const prefillPrice = this.d.prefill.costPerReplicaHour ?? this.config.costPerReplicaHour;
    let pureMs = 0;
    let pureSteps = 0;
    let mixedMs = 0;
    let mixedSteps = 0;
    for (const r of this.decode.members) {
      pureMs += r.decodeMsPure;
      pureSteps += r.decodeStepsPure;
      mixedMs += r.decodeMsMixed;
      mixedSteps += r.decodeStepsMixed;
    }
    const t = this.transferMs;
    const w = this.kvWaitMs;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return {
      ...decodeStats,
      decodeReplicas: this.decode.capacity,
      prefillReplicas: this.prefill.length,
      prefillTimeModel: this.prefillTimeModelKind,
      kvCapacityTokensPerPrefillReplica: this.prefillOptions.kvBlocks * this.prefillOptions.blockSize,
      prefillIterations: this.prefill.reduce((a, r) => a + r.iterations, 0),
      disaggregated: t.count,
      colocated: this.colocated,
      kvTransferGB: round(this.transferBytes / 1e9),
      kvTransferMsMean: t.count > 0 ? round(t.mean) : 0,
      kvTransferMsP50: t.count > 0 ? round(t.quantile(0.5)) : 0,
      kvTransferMsP99: t.count > 0 ? round(t.quantile(0.99)) : 0,
      kvTransferMsMax: t.count > 0 ? round(t.max) : 0,
      kvWaitMsMean: w.count > 0 ? round(w.mean) : 0,
      kvWaitMsP99: w.count > 0 ? round(w.quantile(0.99)) : 0,
      prefillUtilization: round(this.prefillUtilization(nowMs)),
      decodeUtilization: round(this.decode.utilization(nowMs)),
      decodeStepMsPure: pureSteps > 0 ? round(pureMs / pureSteps) : 0,
      decodeStepMsWithPrefill: mixedSteps > 0 ? round(mixedMs / mixedSteps) : 0,
      decodeStepsWithPrefillShare:
        pureSteps + mixedSteps > 0 ? round(mixedSteps / (pureSteps + mixedSteps)) : 0,
      replicaHoursUp: (decodeStats['replicaHoursUp'] as number) + prefillHours,
      fleetCostUsd: (decodeStats['fleetCostUsd'] as number) + prefillHours * prefillPrice,
    };
  }
}
