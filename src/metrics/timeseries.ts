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
 * WindowCounts: the counters of the window in progress, one cell each of one typed array, each
 * stored into its own series when the window closes. Every count in a run is made at the current
 * simulated time, so the hot path is one increment of a cell (`cells[i]++`): a cache line or two
 * for all of a request's counts, not an object (and a boxed double) per counter.
 */
export class WindowCounts {
  readonly cells: Float64Array;
  private readonly columns: Series[] = [];

  constructor(capacity: number) {
    this.cells = new Float64Array(capacity);
  }

  /** A new counter, in the next cell (so counters made one after another sit side by side). */
  counter(): WindowCount {
    const cell = this.columns.length;
    if (cell >= this.cells.length) throw new Error(`WindowCounts: more than ${this.cells.length} counters`);
    const count = new WindowCount(this.cells, cell);
    this.columns.push(count.series);
    return count;
  }

  /** Index of the next counter's cell. */
  get size(): number {
    return this.columns.length;
  }

  /** Stores every counter into its series under `window` and starts the next window at zero. */
  close(window: number): void {
    const cells = this.cells;
    for (let i = 0; i < this.columns.length; i++) this.columns[i]!.set(window, cells[i]!);
    cells.fill(0);
  }
}

/** One counter of a WindowCounts: its cell and the series the window's values go to. */
export class WindowCount {
  readonly series = new Series();
  private readonly cells: Float64Array;
  readonly cell: number;

  constructor(cells: Float64Array, cell: number) {
    this.cells = cells;
    this.cell = cell;
  }

  /** The count of the window in progress. */
  get value(): number {
    return this.cells[this.cell]!;
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
