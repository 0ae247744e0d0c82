/**
 * Series: one fixed-interval column (window i covers [i x interval, (i+1) x interval)), growing
 * as the run goes on. Memory is one float per window, whatever the request count.
 */
export class Series {
  private data = new Float64Array(64);
  length = 0;

  set(window: number, value: number): void {
    if (window >= this.data.length) this.grow(window);
    this.data[window] = value;
    if (window >= this.length) this.length = window + 1;
  }

  /** Adds one to a window's value (counts filed under an earlier window, such as an arrival's). */
  increment(window: number): void {
    if (window >= this.data.length) this.grow(window);
    this.data[window]!++;
    if (window >= this.length) this.length = window + 1;
  }

  /** Values of windows [0, n), NaN as null (JSON has no NaN). */
  toArray(n: number, digits = 6): (number | null)[] {
    const out: (number | null)[] = new Array(n);
    const f = 10 ** digits;
    for (let i = 0; i < n; i++) {
      const v = i < this.length ? this.data[i]! : 0;
      out[i] = Number.isFinite(v) ? Math.round(v * f) / f : null;
    }
    return out;
  }

  private grow(window: number): void {
    let size = this.data.length;
    while (size <= window) size *= 2;
    const next = new Float64Array(size);
    next.set(this.data);
    this.data = next;
  }
}

/**
 * WindowCount: a counter for the window in progress, stored into its series when the window
 * closes. Every count in a run is made at the current simulated time, so the hot path is one
 * increment, not an index computation.
 */
export class WindowCount {
  value = 0;
  readonly series = new Series();

  close(window: number): void {
    this.series.set(window, this.value);
    this.value = 0;
  }
}

/**
 * Picks the default time-series interval: a round value giving at most ~1000 windows, >= 1 s.
 * Example: 10 min -> 1 s, 10 h -> 60 s, 24 h -> 2 min.
 */
export function autoInterval(totalMs: number): number {
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);
  for (const v of nice) if (totalMs / v <= 1000) return v;
  return Math.ceil(totalMs / 1000 / 3_600_000) * 3_600_000;
}
