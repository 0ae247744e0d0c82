/**
 * FaultState: the combined effect of the faults in force on one provider at this moment. The
 * fault timeline rewrites it at every fault boundary. The fault wrapper (faulty-provider.ts)
 * reads outage, hang, error rate and stream cut; providers read the rest when they start work.
 * Overlapping faults combine: latencies multiply, error rates combine as independent chances,
 * limit and capacity factors multiply.
 */
export class FaultState {
  /** Fast 503 for every attempt. */
  outage = false;
  /** New attempts never answer. */
  hang = false;
  /** Latency multiplier (TTFT and token gaps, or service time). */
  latency = 1;
  /** Chance an attempt fails with a 5xx. */
  errorRate = 0;
  /** Rate limits are this fraction of their configured value. */
  limitFactor = 1;
  /** Capacity is this fraction of the configured value. */
  capacityFactor = 1;
  /** Streams end after this many output tokens (Infinity: never)... */
  streamCutAfter = Number.POSITIVE_INFINITY;
  /** ...with this probability. */
  streamCutProbability = 0;

  reset(): void {
    this.outage = false;
    this.hang = false;
    this.latency = 1;
    this.errorRate = 0;
    this.limitFactor = 1;
    this.capacityFactor = 1;
    this.streamCutAfter = Number.POSITIVE_INFINITY;
    this.streamCutProbability = 0;
  }
}
