/**
 * The sample windows of Netflix concurrency-limits' `WindowedLimit`: one window gathers samples
 * (integer nanoseconds, as Netflix's clock gives them) and yields the candidate RTT (its minimum),
 * the tracked RTT it hands the inner limit, the largest in-flight and whether any sample dropped.
 * `average` is `ImmutableAverageSampleWindow` (tracked = floor(sum / count));
 * `{ percentile, size }` is `ImmutablePercentileSampleWindow` (keeps the first `size` samples;
 * tracked = the round(count x percentile)-th smallest, 1-based).
 */
export type SampleWindowKind = 'average' | { percentile: number; size: number };

export interface SampleWindow {
  add(rttNs: number, inflight: number, drop: boolean): void;
  /** The minimum RTT, Infinity when empty. */
  readonly candidateRttNs: number;
  readonly trackedRttNs: number;
  readonly maxInFlight: number;
  readonly sampleCount: number;
  readonly didDrop: boolean;
}

export function newSampleWindow(kind: SampleWindowKind): SampleWindow {
  let minRtt = Number.POSITIVE_INFINITY;
  let maxInFlight = 0;
  let sampleCount = 0;
  let didDrop = false;
  let sum = 0;
  const observed: number[] = [];
  const capacity = kind === 'average' ? Number.POSITIVE_INFINITY : kind.size;

  const tracked = (): number => {
    if (sampleCount === 0) return 0;
    if (kind === 'average') return Math.floor(sum / sampleCount);
    const sorted = [...observed].sort((a, b) => a - b);
    // Java's Math.round: half up.
    const index = Math.floor(sampleCount * kind.percentile + 0.5) - 1;
    return sorted[Math.max(0, index)] as number;
  };

  return {
    add(rttNs, inflight, drop) {
      if (sampleCount >= capacity) return; // a full percentile window ignores further samples
      if (kind !== 'average') observed.push(rttNs);
      sum += rttNs;
      minRtt = Math.min(minRtt, rttNs);
      maxInFlight = Math.max(maxInFlight, inflight);
      sampleCount++;
      didDrop ||= drop;
    },
    get candidateRttNs() {
      return minRtt;
    },
    get trackedRttNs() {
      return tracked();
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get sampleCount() {
      return sampleCount;
    },
    get didDrop() {
      return didDrop;
    },
  };
}
