import type { Scheduler } from '../../engine/clock.ts';
import { Deque } from '../../engine/deque.ts';
import { createDistribution, type Distribution } from '../../engine/dist/index.ts';
import type { Random } from '../../engine/rng.ts';
import type { QueueProviderConfig } from '../../scenario/schema.ts';
import type { Attempt } from '../attempt.ts';
import { FastAnswers } from '../fast-answer.ts';
import { FaultState, NO_OUTPUT_FAULTS, type OutputFaults } from '../faults/fault-state.ts';
import type { AttemptSink, CapacityTime, Provider } from '../provider.ts';
import { UtilizationMeter } from '../utilization.ts';

/**
 * QueueProvider (`kind: queue`): `servers` identical servers in front of one FIFO queue, each
 * attempt holding a server for a service time drawn from `service`. With Poisson arrivals and no
 * timeouts this is exactly M/G/c, the reduction the queueing-theory tests check.
 *
 * A queue server does not notice a caller that left: cancelled attempts are still served
 * (wasted work, the sustaining effect of retry storms). The response arrives whole at the end of
 * service, so TTFT equals service end. Faults: a brownout stretches service times, capacity loss
 * lowers the number of servers that take new work; an attempt whose output a fault cuts
 * (faults/faulty-provider.ts) holds its server for the whole service and delivers nothing (the
 * response never arrives whole). Outage and hang never reach the provider.
 */
export class QueueProvider implements Provider {
  readonly name: string;
  readonly kind = 'queue';
  readonly models: readonly string[];
  readonly faults = new FaultState();
  readonly capacity: number;
  /** Its queue and service-end events drop an attempt before reporting it (FastAnswers too). */
  readonly forgetsReported = true;
  /** No context limit: a queue knows nothing of tokens. */
  readonly contextWindow = Number.POSITIVE_INFINITY;
  private readonly service: Distribution;
  private readonly queueCapacity: number;
  private readonly waiting = new Deque<Attempt>();
  private busy = 0;
  private readonly meter: UtilizationMeter;
  private readonly onServiceEnd = (a: Attempt) => this.finish(a);
  private readonly fast: FastAnswers;

  private readonly scheduler: Scheduler;
  private readonly sink: AttemptSink;
  private readonly rng: Random;
  private readonly outputFaults: OutputFaults;

  constructor(
    config: QueueProviderConfig,
    scheduler: Scheduler,
    sink: AttemptSink,
    rng: Random,
    outputFaults: OutputFaults = NO_OUTPUT_FAULTS,
  ) {
    this.scheduler = scheduler;
    this.sink = sink;
    this.fast = new FastAnswers(scheduler, sink);
    this.rng = rng;
    this.outputFaults = outputFaults;
    this.name = config.name;
    this.models = config.models ?? [config.name];
    this.capacity = config.servers;
    this.servers = config.servers;
    this.meter = new UtilizationMeter(config.servers);
    this.service = createDistribution(config.service);
    this.queueCapacity = config.queueCapacity ?? Number.POSITIVE_INFINITY;
  }

  /** Servers taking new work: capacity less any capacity-loss fault (updated on fault changes). */
  private servers: number;

  submit(a: Attempt): void {
    if (this.busy < this.servers) this.start(a);
    else if (this.waiting.size < this.queueCapacity) {
      a.queuedAtProvider = true;
      this.waiting.push(a);
    } else this.overloaded(a);
  }

  cancel(a: Attempt): void {
    // Served anyway: see the class comment. Nothing to undo.
    void a;
  }

  faultsChanged(): void {
    this.servers = Math.round(this.capacity * this.faults.capacityFactor);
    this.meter.setAvailable(this.scheduler.now(), this.servers);
    this.startWaiting();
  }

  inService(): number {
    return this.busy;
  }

  queued(): number {
    return this.waiting.size;
  }

  utilization(nowMs: number): number {
    return this.meter.ratio(nowMs);
  }

  capacityTime(nowMs: number): CapacityTime {
    return this.meter.capacityTime(nowMs);
  }

  /** Nothing streams: the whole response arrives when the attempt is reported. */
  deliveredTokens(a: Attempt): number {
    return a.status === 'pending' ? 0 : a.outputTokens;
  }

  /** An abstract queue of servers exposes no gauges. */
  gauges(): undefined {
    return undefined;
  }

  /** Queue full: a 503 from a fresh event, so the gateway never re-enters itself from submit(). */
  private overloaded(a: Attempt): void {
    this.fast.after(0, a, 'overloaded');
  }

  private start(a: Attempt): void {
    const now = this.scheduler.now();
    this.busy++;
    this.meter.setBusy(now, this.busy);
    a.queuedAtProvider = false;
    a.serviceStartMs = now;
    const duration = this.service.sample(this.rng) * this.faults.latency;
    const end = now + duration;
    a.firstTokenMs = end;
    a.endMs = end;
    // The planned output: all of it, or nothing when a fault cuts it (it would arrive whole).
    const out = a.work.outputTokens;
    a.outputTokens = this.outputFaults.outputCap(a) < out ? 0 : out;
    this.scheduler.at(end, this.onServiceEnd, a);
  }

  private finish(a: Attempt): void {
    this.busy--;
    this.meter.setBusy(this.scheduler.now(), this.busy);
    a.status = a.outputTokens < a.work.outputTokens ? 'stream_cut' : 'ok';
    this.sink.attemptDone(a);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.busy < this.servers && this.waiting.size > 0) this.start(this.waiting.shift()!);
  }
}
