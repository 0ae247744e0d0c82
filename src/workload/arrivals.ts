import { standardGamma } from '../engine/dist/gamma.ts';
import type { Random } from '../engine/rng.ts';
import type { ArrivalsConfig } from '../scenario/schema.ts';
import { RateTimeline } from './timeline/rate-timeline.ts';
import type { Trace } from './trace.ts';

/**
 * An arrival source yields arrival times in ascending order (open loop: they never depend on
 * responses, FG-4). `next()` returns the next time in ms, or Infinity when the source is done.
 * Trace sources also expose the record behind the last arrival (`record`), so its sizes are used.
 */
export interface ArrivalSource {
  next(): number;
  /** Index into the trace of the arrival `next()` just returned (-1 for synthetic sources). */
  readonly record: number;
}

/** Thinning re-bounds the rate every chunk, so a short spike does not slow the whole run. */
const CHUNK_MS = 10_000;
/** Longest step renewal sources integrate r(t) over at once. */
const STEP_MS = 250;

/**
 * Non-homogeneous Poisson arrivals by thinning (Lewis and Shedler 1979): candidates at the
 * chunk's maximum rate, each kept with probability r(t)/max. A constant rate skips the thinning.
 */
export class PoissonArrivals implements ArrivalSource {
  readonly record = -1;
  private t: number;
  private chunkEnd: number;
  private bound: number;
  private readonly timeline: RateTimeline;
  private readonly rng: Random;
  private readonly constantPerMs: number;

  constructor(timeline: RateTimeline, rng: Random, startMs = 0) {
    this.timeline = timeline;
    this.rng = rng;
    this.t = startMs;
    this.constantPerMs = timeline.isConstant ? timeline.rateAt(0) / 1000 : Number.NaN;
    this.chunkEnd = startMs + CHUNK_MS;
    this.bound = timeline.maxOver(startMs, this.chunkEnd) / 1000;
  }

  next(): number {
    const rng = this.rng;
    if (!Number.isNaN(this.constantPerMs)) {
      if (this.constantPerMs <= 0) return Number.POSITIVE_INFINITY;
      this.t -= Math.log(1 - rng()) / this.constantPerMs;
      return this.t;
    }
    for (let guard = 0; guard < 1e7; guard++) {
      if (this.bound > 0) {
        const candidate = this.t - Math.log(1 - rng()) / this.bound;
        if (candidate < this.chunkEnd) {
          this.t = candidate;
          if (rng() * this.bound * 1000 < this.timeline.rateAt(candidate)) return candidate;
          continue;
        }
      }
      // Memorylessness: restart at the chunk boundary with the next chunk's bound.
      this.t = this.chunkEnd;
      this.chunkEnd += CHUNK_MS;
      this.bound = this.timeline.maxOver(this.t, this.chunkEnd) / 1000;
    }
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Renewal arrivals whose gaps scale with the current rate: `uniform` spaces them exactly
 * 1/r(t) apart (as k6's arrival-rate executors do), `gamma` draws gaps with mean 1/r(t) and the
 * given coefficient of variation (cv > 1: bursty). Where r(t) is 0 the source skips ahead.
 */
export class RenewalArrivals implements ArrivalSource {
  readonly record = -1;
  private t = 0;
  private started = false;
  private readonly shape: number;
  private readonly timeline: RateTimeline;
  private readonly rng: Random;
  private readonly kind: 'uniform' | 'gamma';
  private readonly horizonMs: number;

  constructor(timeline: RateTimeline, rng: Random, kind: 'uniform' | 'gamma', cv: number, horizonMs: number) {
    this.timeline = timeline;
    this.rng = rng;
    this.kind = kind;
    this.shape = 1 / (cv * cv);
    this.horizonMs = horizonMs;
  }

  next(): number {
    if (!this.started) {
      // The first arrival comes at the first moment the rate is positive (k6 starts at once).
      this.started = true;
      this.t = this.firstPositive(0);
      return this.t;
    }
    const unitGap = this.kind === 'uniform' ? 1 : standardGamma(this.shape, this.rng) / this.shape;
    this.t = this.advance(this.t, unitGap);
    return this.t;
  }

  /**
   * The time at which the expected count since `from` reaches `work` (time rescaling: the gap is
   * measured in arrivals, not milliseconds, so a rising rate shortens it as it rises). Steps of at
   * most STEP_MS with the midpoint rate; zero-rate stretches are skipped chunk by chunk.
   */
  private advance(from: number, work: number): number {
    let t = from;
    let remaining = work;
    while (t < this.horizonMs) {
      const perMs = this.timeline.rateAt(t) / 1000;
      if (perMs <= 0 && this.timeline.maxOver(t, t + CHUNK_MS) <= 0) {
        t += CHUNK_MS;
        continue;
      }
      const step = perMs > 0 ? Math.min(STEP_MS, remaining / perMs) : STEP_MS;
      const mid = this.timeline.rateAt(t + step / 2) / 1000;
      const done = mid * step;
      if (done >= remaining && mid > 0) return t + remaining / mid;
      remaining -= done;
      t += step;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** First time at or after t with a positive rate (1 ms resolution), or Infinity. */
  private firstPositive(t: number): number {
    if (this.timeline.rateAt(t) > 0) return t;
    for (let a = t; a < this.horizonMs; a += CHUNK_MS) {
      if (this.timeline.maxOver(a, a + CHUNK_MS) <= 0) continue;
      for (let s = Math.ceil(a); s < a + CHUNK_MS; s++) if (this.timeline.rateAt(s) > 0) return s;
    }
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Replays a trace: record i arrives at (t_i - start) / speed. `rateScale` below 1 keeps each
 * record with that probability; above 1 replays each floor(rateScale) times plus once more with
 * the fractional probability, so the trace's burstiness is kept while its rate scales.
 */
export class TraceArrivals implements ArrivalSource {
  record = -1;
  private i: number;
  private copiesLeft = 0;
  private offsetMs = 0;
  private readonly trace: Trace;
  private readonly config: ArrivalsConfig['trace'] & object;
  private readonly rng: Random;
  private readonly firstIndex: number;

  constructor(trace: Trace, config: ArrivalsConfig['trace'] & object, rng: Random) {
    this.trace = trace;
    this.config = config;
    this.rng = rng;
    let i = 0;
    while (i < trace.timesMs.length && trace.timesMs[i]! < config.start) i++;
    this.i = i;
    this.firstIndex = i;
  }

  next(): number {
    const trace = this.trace;
    for (;;) {
      if (this.copiesLeft > 0) {
        this.copiesLeft--;
        return this.timeOf(this.record);
      }
      if (this.i >= trace.timesMs.length) {
        if (!this.config.loop || this.firstIndex >= trace.timesMs.length) return Number.POSITIVE_INFINITY;
        // Loop: the next pass starts one mean gap after the last record.
        const span = trace.timesMs[trace.timesMs.length - 1]! - trace.timesMs[this.firstIndex]!;
        const n = trace.timesMs.length - this.firstIndex;
        this.offsetMs += span + (n > 1 ? span / (n - 1) : 1000);
        this.i = this.firstIndex;
      }
      const idx = this.i++;
      const scale = this.config.rateScale;
      const copies = Math.floor(scale) + (this.rng() < scale - Math.floor(scale) ? 1 : 0);
      if (copies === 0) continue;
      this.record = idx;
      this.copiesLeft = copies - 1;
      return this.timeOf(idx);
    }
  }

  private timeOf(idx: number): number {
    return (this.trace.timesMs[idx]! - this.config.start + this.offsetMs) / this.config.speed;
  }
}

/** Builds the source an `arrivals` section describes. */
export function createArrivalSource(
  config: ArrivalsConfig,
  rng: Random,
  horizonMs: number,
  trace?: Trace,
): ArrivalSource {
  if (config.trace) {
    if (!trace) throw new Error(`trace ${config.trace.file} was not loaded`);
    return new TraceArrivals(trace, config.trace, rng);
  }
  const timeline = new RateTimeline(config.rate ?? 0, config.timeline);
  if (config.process === 'poisson') return new PoissonArrivals(timeline, rng);
  return new RenewalArrivals(timeline, rng, config.process, config.cv, horizonMs);
}
