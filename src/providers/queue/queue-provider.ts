import type { Scheduler } from '../../engine/clock.ts';
import { Deque } from '../../engine/deque.ts';
import { createDistribution, type Distribution } from '../../engine/dist/index.ts';
import type { Random } from '../../engine/rng.ts';
import type { QueueProviderConfig } from '../../scenario/schema.ts';
import type { Attempt } from '../attempt.ts';
import { FaultState } from '../faults/fault-state.ts';
import type { AttemptSink, Provider } from '../provider.ts';
import { UtilizationMeter } from '../utilization.ts';

/**
 * QueueProvider (`kind: queue`): `servers` identical servers in front of one FIFO queue, each
 * attempt holding a server for a service time drawn from `service`. With Poisson arrivals and no
 * timeouts this is exactly M/G/c, the reduction the queueing-theory tests check.
 *
 * A queue server does not notice a caller that left: cancelled attempts are still served
 * (wasted work, the sustaining effect of retry storms). The response arrives whole at the end of
 * service, so TTFT equals service end. Faults: outage and brownout errors answer at once (or at
 * the end of service), hang holds the attempt until cancelled, capacity loss lowers the number
 * of servers that take new work.
 */
export class QueueProvider implements Provider {
  readonly name: string;
  readonly kind = 'queue';
  readonly models: readonly string[];
  readonly faults = new FaultState();
  readonly capacity: number;
  /** No context limit: a queue knows nothing of tokens. */
  readonly contextWindow = Number.POSITIVE_INFINITY;
  private readonly service: Distribution;
  private readonly queueCapacity: number;
  private readonly waiting = new Deque<Attempt>();
  private busy = 0;
  private readonly meter: UtilizationMeter;
  private readonly onServiceEnd = (a: Attempt) => this.finish(a);
  private readonly onFastError = (a: Attempt) => this.sink.attemptDone(a);

  private readonly scheduler: Scheduler;
  private readonly sink: AttemptSink;
  private readonly rng: Random;
  private readonly faultRng: Random;

  constructor(
    config: QueueProviderConfig,
    scheduler: Scheduler,
    sink: AttemptSink,
    rng: Random,
    faultRng: Random,
  ) {
    this.scheduler = scheduler;
    this.sink = sink;
    this.rng = rng;
    this.faultRng = faultRng;
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
    const faults = this.faults;
    if (faults.outage) {
      this.failFast(a, 'server_error');
      return;
    }
    if (faults.hang) return; // never answers; the caller's timeout ends it
    if (this.busy < this.servers) this.start(a);
    else if (this.waiting.size < this.queueCapacity) {
      a.queuedAtProvider = true;
      this.waiting.push(a);
    } else this.failFast(a, 'overloaded');
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

  /** Nothing streams: the whole response arrives when the attempt is reported. */
  deliveredTokens(a: Attempt): number {
    return a.status === 'pending' ? 0 : a.outputTokens;
  }

  /** An abstract queue of servers exposes no gauges. */
  gauges(): undefined {
    return undefined;
  }

  private failFast(a: Attempt, status: 'server_error' | 'overloaded'): void {
    a.status = status;
    a.endMs = this.scheduler.now();
    // Report from a fresh event so the gateway never re-enters itself from submit().
    this.scheduler.after(0, this.onFastError, a);
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
    if (this.faults.errorRate > 0 && this.faultRng() < this.faults.errorRate) a.status = 'server_error';
    else if (this.faults.streamCutProbability > 0 && this.faultRng() < this.faults.streamCutProbability)
      a.status = 'stream_cut';
    this.scheduler.at(end, this.onServiceEnd, a);
  }

  private finish(a: Attempt): void {
    this.busy--;
    this.meter.setBusy(this.scheduler.now(), this.busy);
    if (a.status === 'pending') {
      a.status = 'ok';
      a.outputTokens = a.work.outputTokens;
    }
    this.sink.attemptDone(a);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.busy < this.servers && this.waiting.size > 0) this.start(this.waiting.shift()!);
  }
}
