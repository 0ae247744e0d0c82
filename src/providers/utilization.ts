/**
 * UtilizationMeter: busy capacity-time over available capacity-time, integrated exactly as the
 * two levels change (both are step functions of time). Providers call `setBusy`/`setAvailable`
 * at every change; `ratio(now)` is in [0, 1].
 */
import type { CapacityTime } from './provider.ts';

export class UtilizationMeter {
  private busy = 0;
  private available: number;
  private busyArea = 0;
  private availableArea = 0;
  private lastMs = 0;

  constructor(available: number) {
    this.available = available;
  }

  setBusy(nowMs: number, busy: number): void {
    this.advance(nowMs);
    this.busy = busy;
  }

  setAvailable(nowMs: number, available: number): void {
    this.advance(nowMs);
    this.available = available;
  }

  /** Busy and available capacity-time up to `nowMs`. */
  capacityTime(nowMs: number): CapacityTime {
    this.advance(nowMs);
    return { busyMs: this.busyArea, availableMs: this.availableArea };
  }

  ratio(nowMs: number): number {
    this.advance(nowMs);
    return this.availableArea > 0 ? Math.min(1, this.busyArea / this.availableArea) : 0;
  }

  private advance(nowMs: number): void {
    const dt = nowMs - this.lastMs;
    if (dt > 0) {
      this.busyArea += this.busy * dt;
      this.availableArea += this.available * dt;
      this.lastMs = nowMs;
    }
  }
}
