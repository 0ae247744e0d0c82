/**
 * The base rate as a piecewise-linear function of time, built from a starting rate and ramps
 * (a step is a ramp over 0 ms). After the last point the rate stays at its last value.
 * Example: start 10/s, ramp to 20/s at 1m over 1m -> points (0,10) (60000,10) (120000,20).
 */
export class PiecewiseLinear {
  /** Breakpoint times (ascending; equal times mean a jump) and values. */
  readonly times: number[] = [0];
  readonly values: number[];

  constructor(start: number) {
    this.values = [start];
  }

  /** Adds a ramp from `from` (default: the value at `at`) to `to` over [at, at + over]. */
  addRamp(at: number, over: number, to: number, from?: number): void {
    const lastTime = this.times[this.times.length - 1]!;
    if (at < lastTime) throw new Error(`ramps must be in time order: ${at} ms starts before ${lastTime} ms`);
    const startValue = from ?? this.valueAt(at);
    this.times.push(at, at + over);
    this.values.push(startValue, to);
  }

  valueAt(t: number): number {
    const times = this.times;
    // Last breakpoint at or before t (the later of equal times wins: a step takes effect at `at`).
    let lo = 0;
    let hi = times.length - 1;
    if (t >= times[hi]!) return this.values[hi]!;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    const t0 = times[lo]!;
    const t1 = times[lo + 1]!;
    const v0 = this.values[lo]!;
    const v1 = this.values[lo + 1]!;
    return t1 === t0 ? v1 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
  }

  maxOver(a: number, b: number): number {
    let m = Math.max(this.valueAt(a), this.valueAt(b));
    for (let i = 0; i < this.times.length; i++) {
      const t = this.times[i]!;
      if (t >= a && t <= b) m = Math.max(m, this.values[i]!);
    }
    return m;
  }

  get isConstant(): boolean {
    return this.values.every((v) => v === this.values[0]);
  }
}
