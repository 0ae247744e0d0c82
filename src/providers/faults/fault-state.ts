import type { Attempt } from '../attempt.ts';

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
  /** The metric source an autoscaler reads fails (every read errors). */
  metricsDown = false;

  reset(): void {
    this.outage = false;
    this.hang = false;
    this.latency = 1;
    this.errorRate = 0;
    this.limitFactor = 1;
    this.capacityFactor = 1;
    this.streamCutAfter = Number.POSITIVE_INFINITY;
    this.streamCutProbability = 0;
    this.metricsDown = false;
  }
}

/**
 * What a provider asks when it fixes an attempt's output (at service start, or when a pool hands
 * it to a replica): how many output tokens the attempt may deliver before a fault ends it.
 * Infinity: no fault applies. 0: it ends at its first token with nothing delivered. A provider
 * delivers at most that many tokens, at its own pace and cost, and reports an attempt cut short
 * as 'stream_cut' (the wrapper turns an error-rate failure into 'server_error').
 */
export interface OutputFaults {
  outputCap(attempt: Attempt): number;
}

/** For a provider used on its own: no fault ever cuts an output. */
export const NO_OUTPUT_FAULTS: OutputFaults = { outputCap: () => Number.POSITIVE_INFINITY };
