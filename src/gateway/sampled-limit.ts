import { limiterRttOf, limiterSignal, type RttSignal } from './limiter-signal.ts';
import { type AdmissionPolicy, reject } from './policy.ts';

/**
 * A limit fed samples, as Netflix concurrency-limits' `Limit.onSample(startTime, rtt, inflight,
 * didDrop)`: the rules vegas, gradient and aimd share, which `windowed` feeds one sample a window.
 */
export interface SampledLimit {
  /** The current limit (an integer). */
  readonly limit: number;
  /** One sample: RTT (ms, > 0), in-flight at its start, and whether it was a drop. */
  onSample(rttMs: number, inflight: number, drop: boolean): void;
}

/**
 * The admission policy of a sampled limit, as vegas and gradient use it: admit below the limit,
 * otherwise shed (or wait in the gateway queue with `queue`); every outcome a limiter samples
 * feeds the limit its RTT signal, drops marked as drops.
 */
export function limitAdmission(
  limit: SampledLimit,
  options: { queue: boolean; rtt: RttSignal },
): AdmissionPolicy {
  // What a request over the limit gets: fixed at creation.
  const whenFull = options.queue ? 'enqueue' : reject('over-limit');
  return {
    admit(_req, gateway) {
      if (gateway.inFlight < limit.limit) return 'admit';
      return whenFull;
    },
    onOutcome(o) {
      const signal = limiterSignal(o.status);
      if (signal === 'ignore') return;
      limit.onSample(limiterRttOf(o, options.rtt), o.inFlightAtStart, signal === 'drop');
    },
  };
}
