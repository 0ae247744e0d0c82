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
