import { LogHistogram } from '../engine/histogram.ts';

/**
 * The TTFT and E2E histograms of one class at one resolution. A response that arrives whole (a
 * queue server's, a held answer's) has TTFT = E2E; while every one recorded so far did, the two
 * histograms would hold the same values, so only `ttft` records them and `e2e` is copied from it
 * when the first that differs comes or when it is read. The copy is exact (same counts, total,
 * min and max as recording each value), and a run of whole answers makes one histogram update per
 * request fewer.
 */
export class TtftE2e {
  readonly ttft: LogHistogram;
  private readonly e2eOwn: LogHistogram;
  /** Every E2E recorded since the last reset equalled its TTFT: `e2eOwn` is empty, `ttft` stands for it. */
  private same = true;

  constructor(subBits?: number) {
    this.ttft = new LogHistogram(subBits);
    this.e2eOwn = new LogHistogram(subBits);
  }

  /** The E2E histogram (copied from `ttft` first while they hold the same values). */
  get e2e(): LogHistogram {
    if (this.same) this.separate();
    return this.e2eOwn;
  }

  /** Records one request's TTFT and E2E, given their floats' `highWord`s. */
  record(ttft: number, ttftHigh: number, e2e: number, e2eHigh: number): void {
    // `=== true` / `=== false`: one compare, not V8's generic truthiness test (see Recorder.arrived).
    if (this.same === true && e2e !== ttft) this.separate();
    this.ttft.recordHigh(ttft, ttftHigh);
    if (this.same === false) this.e2eOwn.recordHigh(e2e, e2eHigh);
  }

  reset(): void {
    this.ttft.reset();
    this.e2eOwn.reset();
    this.same = true;
  }

  /** From now on E2E is recorded apart, starting from the values `ttft` holds. */
  private separate(): void {
    this.e2eOwn.merge(this.ttft);
    this.same = false;
  }
}
