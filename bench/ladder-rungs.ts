/**
 * The rungs of the cost ladder (ladder.ts): the M/M/8 queue of scenarios/mmc.yaml written again on
 * a little more of Floodgate at each rung, so the distance from the hand-written floor to
 * `floodgate run` splits into what the engine, the random streams and the reported statistics cost
 * before any layer of the model does any work.
 *
 * - `queue`: the floor's loop with Floodgate's event queue (`Simulation`: a handler and a payload
 *   per event, cancellable handles, ordered ties) in place of its two typed arrays. It draws from
 *   the floor's generator in the floor's order, so it simulates exactly the floor's run: its mean
 *   wait equals the floor's to the last bit (test/bench/ladder.test.ts holds it to that).
 * - `streams`: draws as Floodgate does, from named alea streams (`RngStreams`, which keep a seed's
 *   traffic the same across versions and policies) through `Distribution` objects, and queues in a
 *   `Deque`.
 * - `statistics`: keeps one pooled record per request (its arrival and service start) and records
 *   what the run result reports of each request of this scenario, with the recorder's own classes:
 *   TTFT at the class and window resolutions (a queue answers whole, so E2E rides on TTFT), the
 *   class's queue wait, the provider's queue wait, service time and TTFT, goodput by arrival
 *   window, and the counters.
 *
 * As a process: `node ladder.mjs '{"rung":"queue","arrivals":2000000,...}'` prints one run as JSON.
 */
import { Deque } from '../src/engine/deque.ts';
import { exponential } from '../src/engine/dist/exponential.ts';
import { highWord, LogHistogram } from '../src/engine/histogram.ts';
import { RngStreams } from '../src/engine/rng.ts';
import { Simulation } from '../src/engine/simulation.ts';
import { Series } from '../src/metrics/timeseries.ts';
import { TtftE2e } from '../src/metrics/ttft-e2e.ts';
import type { BaselineParams } from './floor-mmc.ts';
import { sfc32 } from './sfc32.ts';

export const RUNGS = ['queue', 'streams', 'statistics'] as const;
export type Rung = (typeof RUNGS)[number];

export interface RungParams extends BaselineParams {
  rung: Rung;
}

export interface RungResult {
  rung: Rung;
  arrivals: number;
  events: number;
  /** The loop alone. */
  wallMs: number;
  meanWaitMs: number;
}

/** The floor's model on Floodgate's event queue, with the floor's generator and draw order. */
function runQueue(p: BaselineParams): RungResult {
  const rand = sfc32(p.seed);
  const meanInterMs = 1000 / p.rate;
  const meanServiceMs = p.meanServiceSec * 1000;
  const sim = new Simulation();
  const waiting = new Deque<number>();
  let busy = 0;
  let arrived = 0;
  let served = 0;
  let waitSum = 0;
  const departure = (_: number): void => {
    const now = sim.now();
    const t = waiting.shift();
    if (t === undefined) {
      busy--;
      return;
    }
    waitSum += now - t;
    served++;
    sim.at(now - Math.log(rand()) * meanServiceMs, departure, 0);
  };
  const arrival = (_: number): void => {
    const now = sim.now();
    if (arrived < p.arrivals) {
      sim.at(now - Math.log(rand()) * meanInterMs, arrival, 0);
      arrived++;
    }
    if (busy < p.servers) {
      busy++;
      served++;
      sim.at(now - Math.log(rand()) * meanServiceMs, departure, 0);
    } else waiting.push(now);
  };
  const started = performance.now();
  sim.at(-Math.log(rand()) * meanInterMs, arrival, 0);
  arrived = 1;
  sim.run(Number.POSITIVE_INFINITY);
  const wallMs = performance.now() - started;
  return { rung: 'queue', arrivals: arrived, events: sim.events, wallMs, meanWaitMs: waitSum / served };
}

/** One request's record: what its service end needs to report it. */
interface Job {
  arrivalMs: number;
  serviceStartMs: number;
}

/** The statistics one request of mmc.yaml adds to the run result (see Recorder). */
class Statistics {
  private readonly classLatency = new TtftE2e();
  private readonly windowLatency = new TtftE2e(4);
  private readonly classWait = new LogHistogram();
  private readonly providerWait = new LogHistogram();
  private readonly serviceTime = new LogHistogram();
  private readonly providerTtft = new LogHistogram();
  private readonly goodputByArrival = new Series();
  private readonly counts = new Float64Array(16);
  private readonly intervalMs: number;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  arrived(): void {
    this.counts[0]!++;
    this.counts[1]!++;
  }

  started(): void {
    this.counts[2]!++;
    this.counts[3]!++;
  }

  /** The provider's report and the request's end, as the recorder's two hooks take them. */
  ended(job: Job, endMs: number): void {
    const counts = this.counts;
    const wait = job.serviceStartMs - job.arrivalMs;
    this.providerWait.recordOne(wait);
    this.serviceTime.recordOne(endMs - job.serviceStartMs);
    this.providerTtft.recordOne(endMs - job.arrivalMs);
    counts[4]!++;
    const latency = endMs - job.arrivalMs;
    // As the recorder does: the float is taken apart once for both resolutions.
    const high = highWord(latency);
    this.windowLatency.record(latency, high, latency, high);
    this.classLatency.record(latency, high, latency, high);
    counts[5]!++;
    counts[6]!++;
    counts[7]!++;
    this.goodputByArrival.increment(Math.floor(job.arrivalMs / this.intervalMs));
    this.classWait.recordOne(wait);
  }

  /** A checksum of what was recorded, so no record can be optimised away. */
  get mean(): number {
    return this.classWait.mean;
  }
}

/** The model with Floodgate's streams (and, for `statistics`, records and the result's statistics). */
function runStreams(p: BaselineParams, withStatistics: boolean): RungResult {
  const rngs = new RngStreams(p.seed);
  const interRng = rngs.get('workload/arrivals');
  const serviceRng = rngs.get('service');
  const inter = exponential(1000 / p.rate);
  const service = exponential(p.meanServiceSec * 1000);
  const sim = new Simulation();
  const waiting = new Deque<Job>();
  const pool: Job[] = [];
  const stats = new Statistics(60_000);
  let busy = 0;
  let arrived = 0;
  let served = 0;
  let waitSum = 0;
  const take = (now: number): Job => {
    const job = pool.pop() ?? { arrivalMs: 0, serviceStartMs: 0 };
    job.arrivalMs = now;
    job.serviceStartMs = Number.NaN;
    return job;
  };
  const start = (job: Job, now: number): void => {
    job.serviceStartMs = now;
    waitSum += now - job.arrivalMs;
    served++;
    if (withStatistics) stats.started();
    sim.after(service.sample(serviceRng), departure, job);
  };
  const departure = (job: Job): void => {
    const now = sim.now();
    if (withStatistics) stats.ended(job, now);
    pool.push(job);
    const next = waiting.shift();
    if (next === undefined) busy--;
    else start(next, now);
  };
  const arrival = (_: number): void => {
    const now = sim.now();
    if (arrived < p.arrivals) {
      sim.after(inter.sample(interRng), arrival, 0);
      arrived++;
    }
    if (withStatistics) stats.arrived();
    const job = take(now);
    if (busy < p.servers) {
      busy++;
      start(job, now);
    } else waiting.push(job);
  };
  const started = performance.now();
  sim.after(inter.sample(interRng), arrival, 0);
  arrived = 1;
  sim.run(Number.POSITIVE_INFINITY);
  const wallMs = performance.now() - started;
  const meanWaitMs = withStatistics ? stats.mean : waitSum / served;
  return {
    rung: withStatistics ? 'statistics' : 'streams',
    arrivals: arrived,
    events: sim.events,
    wallMs,
    meanWaitMs,
  };
}

export function runRung(p: RungParams): RungResult {
  switch (p.rung) {
    case 'queue':
      return runQueue(p);
    case 'streams':
      return runStreams(p, false);
    case 'statistics':
      return runStreams(p, true);
  }
}

const paramsArg = process.argv[2];
if (paramsArg?.startsWith('{')) {
  process.stdout.write(JSON.stringify(runRung(JSON.parse(paramsArg) as RungParams)));
}
